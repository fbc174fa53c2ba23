/**
 * The Store contract against a real MongoDB, wherever a mongod can be had:
 *
 *   1. MONGODB_URI=mongodb://... (an existing server; each test uses, then drops, its own database)
 *   2. MONGOMS_SYSTEM_BINARY=/path/to/mongod (mongodb-memory-server starts it)
 *   3. a mongod that mongodb-memory-server downloads
 *
 * With 2 or 3 the suite runs twice: against a standalone server and against a single-node replica
 * set (MongoMemoryReplSet), which is how production runs (retryable writes, majority writes,
 * the TTL monitor on a primary). One line says which servers it ran against (version, topology).
 *
 * Asking for 1 or 2 and not getting it fails this file: a CI job that configured MongoDB must not
 * pass quietly without it. Only when nothing is configured and no download works is the suite
 * skipped, with one line saying so.
 */
import { MongoClient } from 'mongodb';
import { MongoMemoryReplSet, MongoMemoryServer } from 'mongodb-memory-server';
import { afterAll, describe, it } from 'vitest';
import type { Store } from '../../src/app/ports.js';
import { createMongoStore } from '../../src/store/mongodb/mongo-store.js';
import { storeContract } from './contract.js';
import { queriesContract } from './contract-queries.js';
import { valuesContract } from './contract-values.js';
import { accessReviewsContract } from './contract-access-reviews.js';

const SKIP_LINE =
  'store contract: MongoDB SKIPPED (no mongod: set MONGODB_URI or MONGOMS_SYSTEM_BINARY) - ran against memory only';

/** A real download takes a while; a blocked one fails within seconds. Either way, bounded. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

interface Mongod {
  uri: string;
  source: string;
  stop(): Promise<void>;
}

/** "MongoDB 7.0.14, replica set rs0": what the server says it is. Fails when it does not answer. */
async function describeServer(uri: string): Promise<string> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
    const admin = client.db('admin');
    const { version } = await admin.command({ buildInfo: 1 });
    const hello = await admin.command({ hello: 1 });
    const topology = hello['setName'] ? `replica set ${hello['setName']}` : hello['msg'] === 'isdbgrid' ? 'sharded (mongos)' : 'standalone';
    return `MongoDB ${version}, ${topology}`;
  } finally {
    await client.close();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function startMemoryServer(topology: 'standalone' | 'replica set'): Promise<Mongod> {
  // mongodb-memory-server prints its own multi-line stack trace on console.warn when it fails.
  // The failure is reported here instead (the skip line, or the thrown error), so that one
  // warning is held back while it starts; every other warning goes through.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('Starting the MongoMemoryServer Instance failed')) warn(...args);
  };
  // One member, as compose runs it; wiredTiger so the TTL monitor and majority writes behave as in production.
  const starting: Promise<MongoMemoryServer | MongoMemoryReplSet> =
    topology === 'standalone' ? MongoMemoryServer.create() : MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger' } });
  const source = topology === 'standalone' ? 'mongodb-memory-server' : 'MongoMemoryReplSet';
  try {
    const server = await withTimeout(starting, DOWNLOAD_TIMEOUT_MS, source);
    return { uri: server.getUri(), source, stop: () => server.stop().then(() => undefined) };
  } catch (err) {
    // If it was only slow, stop the mongod it starts after we gave up on it.
    starting.then((late) => late.stop()).catch(() => undefined);
    throw err;
  } finally {
    console.warn = warn;
  }
}

/**
 * The servers to run against: the one MONGODB_URI names, or a standalone and a replica set that
 * mongodb-memory-server starts; none when there is no mongod to be had; an error when one was
 * asked for and failed.
 */
async function findMongods(): Promise<Array<Mongod & { server: string }>> {
  const envUri = process.env.MONGODB_URI;
  if (envUri && /^mongodb(\+srv)?:\/\//.test(envUri)) {
    try {
      return [{ uri: envUri, source: 'MONGODB_URI', server: await describeServer(envUri), stop: async () => undefined }];
    } catch (err) {
      throw new Error(`store contract: MONGODB_URI is set but MongoDB cannot be reached: ${(err as Error).message}`);
    }
  }
  const systemBinary = process.env.MONGOMS_SYSTEM_BINARY;
  const started: Array<Mongod & { server: string }> = [];
  try {
    for (const topology of ['standalone', 'replica set'] as const) {
      const mongod = await startMemoryServer(topology);
      started.push({ ...mongod, server: await describeServer(mongod.uri) });
    }
    return started;
  } catch (err) {
    await Promise.all(started.map((m) => m.stop().catch(() => undefined)));
    if (systemBinary) {
      throw new Error(`store contract: MONGOMS_SYSTEM_BINARY=${systemBinary} did not start: ${(err as Error).message}`);
    }
    // Without a configured binary, only "no download at all" is a skip: a standalone that starts
    // and a replica set that does not is a failure worth seeing.
    if (started.length > 0) throw err;
    return [];
  }
}

const mongods = await findMongods();

if (mongods.length === 0) {
  console.log(SKIP_LINE);
  describe.skip('store contract: mongodb', () => {
    it('needs a mongod (MONGODB_URI or MONGOMS_SYSTEM_BINARY)', () => undefined);
  });
} else {
  console.log(`store contract: ran against ${mongods.map((m) => `${m.server} (${m.source})`).join(' and ')}`);
}

for (const mongod of mongods) {
  const { uri, server } = mongod;
  // One database per test, named for this run so a shared server's other data is never touched
  // (MongoDB database names: at most 63 characters, no '.', '/', '$' or spaces).
  const prefix = `kw_test_${process.pid}_${Date.now().toString(36)}`;
  let count = 0;
  const admin = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });

  const open = async (): Promise<Store> => {
    const dbName = `${prefix}_${++count}`;
    const store = await createMongoStore(uri, { dbName });
    return {
      ...store,
      async close() {
        try {
          await admin.db(dbName).dropDatabase();
        } finally {
          await store.close();
        }
      },
    };
  };

  afterAll(async () => {
    try {
      // Databases a failed test left behind (its close() never ran).
      const { databases } = await admin.db().admin().listDatabases({ nameOnly: true });
      for (const { name } of databases) if (name.startsWith(prefix)) await admin.db(name).dropDatabase();
    } finally {
      await admin.close();
      await mongod.stop();
    }
  });

  storeContract(`store contract: ${server}`, open);
  queriesContract(`store queries contract: ${server}`, open);
  valuesContract(`store values contract: ${server}`, open);
  accessReviewsContract(`store access reviews contract: ${server}`, open);
}
