/**
 * The MongoDB adapter of the Store port. Every state change is one conditional atomic write
 * (the expected version, and for requests the expected status, sit in the filter), so losing a
 * race shows up as null/false and never as a change applied twice. The driver's retryable writes
 * (on by default) keep that true across a failover: the server recognises a retried write.
 */
import { MongoClient } from 'mongodb';
import type { Store } from '../../app/ports.js';
import { databaseName, redactUri } from './connection.js';
import { collections } from './documents.js';
import { MongoHistory } from './history.js';
import { ensureIndexes } from './indexes.js';
import { MongoPermissions } from './permissions.js';
import { MongoRequests } from './requests.js';
import { MongoSigningKeys } from './signing-keys.js';
import { MongoTechnicalUsers } from './technical-users.js';
import { MongoTokenReveals } from './token-reveals.js';
import { MongoUsers } from './users.js';
import { MongoWorkspaces } from './workspaces.js';

export interface MongoStoreOptions {
  /** Use this database instead of the URI's (tests give each store its own). */
  dbName?: string;
  /**
   * How long to look for a server before an operation fails, in ms. Default 5000, so a missing
   * server is a clear error at start rather than a hang. A value in the URI wins.
   */
  serverSelectionTimeoutMS?: number;
}

const DEFAULTS = { serverSelectionTimeoutMS: 5000 } as const;

/** True when the connection string itself sets `option` (URI options are case-insensitive). */
function uriSets(uri: string, option: string): boolean {
  const query = uri.split('?')[1] ?? '';
  return [...new URLSearchParams(query).keys()].some((k) => k.toLowerCase() === option.toLowerCase());
}

/**
 * Connects, checks the server answers, and returns the store. Does not create indexes: call
 * `init()` (safe on every start). Fails with one line naming the (password-less) URI when the
 * server cannot be reached.
 */
export async function createMongoStore(uri: string, options: MongoStoreOptions = {}): Promise<Store> {
  const opts = { ...DEFAULTS, ...options };
  if (!Number.isInteger(opts.serverSelectionTimeoutMS) || opts.serverSelectionTimeoutMS <= 0) {
    throw new RangeError(`serverSelectionTimeoutMS must be a positive integer, got ${opts.serverSelectionTimeoutMS}`);
  }
  const dbName = opts.dbName ?? databaseName(uri);

  let client: MongoClient | undefined;
  try {
    client = new MongoClient(
      uri,
      uriSets(uri, 'serverSelectionTimeoutMS') ? {} : { serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS },
    );
    await client.connect();
    await client.db(dbName).command({ ping: 1 });
  } catch (err) {
    await client?.close().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`MongoDB at ${redactUri(uri)} cannot be reached: ${reason}`, { cause: err });
  }

  const db = client.db(dbName);
  const cols = collections(db);
  const connected = client;
  return {
    kind: 'mongodb',
    workspaces: new MongoWorkspaces(cols.workspaces),
    users: new MongoUsers(cols.users),
    permissions: new MongoPermissions(cols.permissions),
    requests: new MongoRequests(cols.requests),
    history: new MongoHistory(cols.history),
    technicalUsers: new MongoTechnicalUsers(cols.technicalUsers),
    tokenReveals: new MongoTokenReveals(cols.tokenReveals),
    signingKeys: new MongoSigningKeys(cols.signingKeys),
    init: () => ensureIndexes(db),
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => connected.close(),
  };
}
