/**
 * The MongoDB adapter of the Store port. Every state change is one conditional atomic write
 * (the expected version, and for requests the expected status, sit in the filter), so losing a
 * race shows up as null/false and never as a change applied twice. The driver's retryable writes
 * (on by default) keep that true across a failover: the server recognises a retried write.
 */
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { Log, Store } from '../../app/ports.js';
import { databaseName, redactUri } from './connection.js';
import { collections } from './documents.js';
import { MongoHistory } from './history.js';
import { ensureIndexes } from './indexes.js';
import { MongoOwnership } from './ownership.js';
import { MongoAccessReviews } from './access-reviews.js';
import { MongoPermissions } from './permissions.js';
import { MongoRequests } from './requests.js';
import { MongoSigningKeys } from './signing-keys.js';
import { MongoTechnicalUsers } from './technical-users.js';
import { MongoTokenReveals } from './token-reveals.js';
import { MongoSlackInstallations } from './slack-installations.js';
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
  /**
   * How long one operation may wait for the server's answer, in ms, before it fails as a
   * MongoNetworkTimeoutError (the store's outage answer). Default 15000. A value in the URI wins.
   */
  socketTimeoutMS?: number;
  /** Where index changes made at start are logged. */
  log?: Log;
}

/**
 * Bounds on every operation, so a stalled primary fails a Slack click or an apply job (which the
 * store's outage answer and BullMQ's retries handle) instead of hanging it. The driver we use (7.9)
 * ignores the client-side operation timeout: its option table marks `timeoutMS` "ignored" and
 * "has no effect". So the established bounds do it:
 * finding a server (serverSelectionTimeoutMS), waiting for a pooled connection
 * (waitQueueTimeoutMS), and waiting for the answer on the socket (socketTimeoutMS). A retryable
 * write or read is retried once within its own bounds, so the worst case is about twice them.
 * 15 s is far above any of Keywarden's operations (indexed, limited) and below BullMQ's 30 s lock.
 */
const DEFAULTS = { serverSelectionTimeoutMS: 5000, socketTimeoutMS: 15_000, waitQueueTimeoutMS: 5000 } as const;

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

/** True when the connection string itself sets `option` (URI options are case-insensitive). */
function uriSets(uri: string, option: string): boolean {
  const query = uri.split('?')[1] ?? '';
  return [...new URLSearchParams(query).keys()].some((k) => k.toLowerCase() === option.toLowerCase());
}

/** The driver's options: the bounds above (each unless the URI sets it) and ignoreUndefined. */
export function clientOptions(uri: string, options: MongoStoreOptions = {}): MongoClientOptions {
  const opts = { ...DEFAULTS, ...options };
  const bounds: Partial<MongoClientOptions> = {};
  for (const name of ['serverSelectionTimeoutMS', 'socketTimeoutMS', 'waitQueueTimeoutMS'] as const) {
    const ms = opts[name];
    if (!Number.isInteger(ms) || ms <= 0) throw new RangeError(`${name} must be a positive integer, got ${ms}`);
    if (!uriSets(uri, name)) bounds[name] = ms;
  }
  // ignoreUndefined: a field that is undefined is left out, as the memory store's records have
  // it, rather than stored as null. It also drops such a field from a filter, which would then
  // match more: every filter value is checked (isKey, isVersion, isDate) before it gets there.
  return { ...bounds, ignoreUndefined: true };
}

/**
 * Connects, checks the server answers, and returns the store. Does not create indexes: call
 * `init()` (safe on every start). Fails with one line naming the (password-less) URI when the
 * server cannot be reached.
 */
export async function createMongoStore(uri: string, options: MongoStoreOptions = {}): Promise<Store> {
  const clientOpts = clientOptions(uri, options);
  const dbName = options.dbName ?? databaseName(uri);

  let client: MongoClient | undefined;
  try {
    client = new MongoClient(uri, clientOpts);
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
    ownership: new MongoOwnership(cols.ownership),
    slackInstallations: new MongoSlackInstallations(cols.slackInstallations),
    accessReviews: new MongoAccessReviews(cols.accessReviewCampaigns, cols.accessReviewItems),
    init: () => ensureIndexes(db, options.log ?? quiet),
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => connected.close(),
  };
}
