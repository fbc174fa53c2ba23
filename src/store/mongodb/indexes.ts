/**
 * Every index Keywarden relies on, as data (so a test can read it without a server), and the
 * start-up step that makes the server's indexes match it. The unique indexes are where the
 * store's invariants live: the adapters turn their duplicate-key errors into the outcomes the
 * ports promise.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Db, Document, IndexDescription } from 'mongodb';
import { MongoServerError } from 'mongodb';
import type { Log } from '../../app/ports.js';
import type { CollectionName } from './documents.js';
import { COLLECTIONS } from './documents.js';
import { GRANT_INDEX_FILTER } from './grant-queries.js';

/** Index names the adapters match duplicate-key errors against. */
export const INDEX = {
  workspaceName: 'name_unique',
  userEmailKey: 'emailKey_unique',
  permissionPair: 'workspaceId_userId_unique',
  technicalUserName: 'workspaceId_userName_unique',
  tokenHash: 'token.hash_unique',
  signingKeyGeneration: 'generation_unique',
  historyChain: 'workspaceId_seq_unique',
  openCampaign: 'openKey_unique',
} as const;

/**
 * On permissions and technical users: only the documents under a grant (grant-queries.ts). Due
 * grants for the backstop sweep (listGrantsDue), a workspace's grants (listGrants), their count.
 */
const GRANT_INDEXES: readonly IndexDescription[] = [
  { name: 'grant.until', key: { 'grant.until': 1 }, partialFilterExpression: GRANT_INDEX_FILTER },
  { name: 'workspaceId_grant.until', key: { workspaceId: 1, 'grant.until': 1 }, partialFilterExpression: GRANT_INDEX_FILTER },
];

export const INDEXES: Readonly<Record<CollectionName, readonly IndexDescription[]>> = {
  [COLLECTIONS.workspaces]: [
    // A Slack team's workspaces are found among all of them (a handful), read whole: no teamId index.
    { name: INDEX.workspaceName, key: { name: 1 }, unique: true },
  ],
  [COLLECTIONS.users]: [{ name: INDEX.userEmailKey, key: { emailKey: 1 }, unique: true }],
  [COLLECTIONS.permissions]: [
    { name: INDEX.permissionPair, key: { workspaceId: 1, userId: 1 }, unique: true },
    { name: 'workspaceId_status', key: { workspaceId: 1, status: 1 } },
    ...GRANT_INDEXES,
  ],
  [COLLECTIONS.technicalUsers]: [
    { name: INDEX.technicalUserName, key: { workspaceId: 1, userName: 1 }, unique: true },
    // Unique among users that have a token; any number may have none (token: null).
    {
      name: INDEX.tokenHash,
      key: { 'token.hash': 1 },
      unique: true,
      partialFilterExpression: { 'token.hash': { $type: 'string' } },
    },
    // The expiry scan reads only tokens whose next warning is due (listWarningsDue).
    { name: 'token.nextWarningAt', key: { 'token.nextWarningAt': 1 } },
    // Tokens not revealed by their deadline (listRevealOverdue); null once revealed.
    { name: 'token.revealBy', key: { 'token.revealBy': 1 } },
    // The App Home's list, soonest expiry first (listByExpiry).
    { name: 'workspaceId_token.expiresAt', key: { workspaceId: 1, 'token.expiresAt': 1 } },
    // The metrics gauge of tokens by days to expiry (countTokensExpiringBefore), across workspaces.
    { name: 'token.expiresAt', key: { 'token.expiresAt': 1 } },
    ...GRANT_INDEXES,
  ],
  [COLLECTIONS.requests]: [
    // The outbox sweep (listDecided).
    { name: 'status_decidedAt', key: { status: 1, decidedAt: 1 } },
    // Pending requests past their TTL (listPendingExpired).
    { name: 'status_expiresAt', key: { status: 1, expiresAt: 1 } },
    // Pending requests whose approvers are due a reminder (listRemindersDue).
    { name: 'status_remindAt', key: { status: 1, remindAt: 1 } },
    // Pending requests due to be escalated (listEscalationsDue).
    { name: 'status_escalateAt', key: { status: 1, escalateAt: 1 } },
    // Pending requests that need no approval, left by a process that stopped (listApprovalsOwed).
    { name: 'status_approveAt', key: { status: 1, approveAt: 1 } },
    // Break-glass changes awaiting review (listBreakGlassUnreviewed), earliest first.
    { name: 'status_breakGlass.verdict_appliedAt', key: { status: 1, 'breakGlass.verdict': 1, appliedAt: 1 } },
    // Pending requests never posted for approval, oldest first (listUnposted; `slack: null` is
    // checked on the few pending ones the index finds).
    { name: 'status_createdAt', key: { status: 1, createdAt: 1 } },
    { name: 'workspaceId_createdAt', key: { workspaceId: 1, createdAt: -1 } },
    // The App Home: a workspace's pending requests, and an admin's own, newest first (listByWorkspace).
    { name: 'workspaceId_status_createdAt', key: { workspaceId: 1, status: 1, createdAt: -1 } },
    { name: 'workspaceId_requester_createdAt', key: { workspaceId: 1, requester: 1, createdAt: -1 } },
    // Status changes owed to the webhooks' event log, oldest first (listUnnoted): few, and only
    // while a note is missing; a request with none owed has no date in it.
    { name: 'unnoted.at', key: { 'unnoted.at': 1 } },
  ],
  [COLLECTIONS.history]: [
    { name: 'subject_at', key: { 'subject.type': 1, 'subject.id': 1, at: -1 } },
    // The chain: one line per (workspace, seq), which makes appending the chain's compare-and-set,
    // and a workspace's lines in order (the audit endpoint, audit:verify). Lines written before
    // the chain existed have no seq and stay out of it.
    {
      name: INDEX.historyChain,
      key: { workspaceId: 1, seq: 1 },
      unique: true,
      // Only numbers compare with 1, so lines without a seq (or a null one) are not in it.
      partialFilterExpression: { seq: { $gte: 1 } },
    },
  ],
  // TTL: MongoDB deletes a sealed token once its expiresAt has passed. This is housekeeping only:
  // no answer of the store depends on it. The monitor runs about once a minute (and not at all
  // while it is busy or the node is a secondary), so `claim` compares expiresAt itself and an
  // expired record that is still there is refused exactly like one that is gone.
  [COLLECTIONS.tokenReveals]: [{ name: 'expiresAt_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }],
  // One key per generation: processes racing to create or rotate a key agree on the first one.
  [COLLECTIONS.signingKeys]: [{ name: INDEX.signingKeyGeneration, key: { generation: 1 }, unique: true }],
  // Found by _id only (the Slack workspace's or organisation's id).
  [COLLECTIONS.slackInstallations]: [],
  [COLLECTIONS.ownership]: [
    // The review scan reads only records with a step due (listDue); null (nothing due) sorts first
    // but `$lte: <date>` never matches it.
    { name: 'nextAt', key: { nextAt: 1 } },
    { name: 'workspaceId', key: { workspaceId: 1 } },
    // The unreviewed gauge (countUnreviewed).
    { name: 'stage', key: { stage: 1 } },
  ],
  [COLLECTIONS.accessReviewCampaigns]: [
    // One OPEN campaign per workspace and name: openKey is set only while it is open.
    { name: INDEX.openCampaign, key: { openKey: 1 }, unique: true, partialFilterExpression: { openKey: { $type: 'string' } } },
    // The sweep's open campaigns (listOpen) and a workspace's campaigns, newest first (listCampaigns).
    { name: 'status_startedAt', key: { status: 1, startedAt: 1 } },
    { name: 'workspaceId_startedAt', key: { workspaceId: 1, startedAt: -1 } },
  ],
  [COLLECTIONS.accessReviewItems]: [
    // A campaign's items in order, a page at a time (listItems, the evidence), and the undecided ones.
    { name: 'campaignId_seq', key: { campaignId: 1, seq: 1 }, unique: true },
    { name: 'campaignId_decision.verdict_seq', key: { campaignId: 1, 'decision.verdict': 1, seq: 1 } },
    { name: 'campaignId_emailKey', key: { campaignId: 1, emailKey: 1 } },
    // Decisions whose request is still to be stored and queued (listUncarried): few, so partial.
    { name: 'decision.carried', key: { 'decision.carried': 1 }, partialFilterExpression: { 'decision.carried': false } },
  ],
};

/** Indexes earlier versions created that nothing queries any more: dropped at start. */
export const RETIRED_INDEXES: Readonly<Partial<Record<CollectionName, readonly string[]>>> = {
  [COLLECTIONS.workspaces]: ['slack.teamId'],
};

const INDEX_NOT_FOUND = 27;
const NAMESPACE_NOT_FOUND = 26;
/** createIndexes: same key under another name, or same name with other options (85); same name, other key (86). */
const INDEX_CONFLICTS = new Set([85, 86]);

const serverCode = (err: unknown): number | undefined => (err instanceof MongoServerError ? Number(err.code) : undefined);

/** What makes two indexes the same: the key (in order) and the options Keywarden sets. */
function definition(spec: Document): Document {
  return {
    key: Object.entries(spec['key'] as Document),
    unique: spec['unique'] === true,
    sparse: spec['sparse'] === true,
    expireAfterSeconds: spec['expireAfterSeconds'] ?? null,
    partialFilterExpression: spec['partialFilterExpression'] ?? null,
    collation: spec['collation'] ?? null,
  };
}

export const sameIndex = (a: Document, b: Document): boolean => isDeepStrictEqual(definition(a), definition(b));

async function existingIndexes(db: Db, collection: string): Promise<Document[]> {
  try {
    return await db.collection(collection).listIndexes().toArray();
  } catch (err) {
    if (serverCode(err) === NAMESPACE_NOT_FOUND) return []; // the collection does not exist yet
    throw err;
  }
}

async function dropIndex(db: Db, collection: string, name: string): Promise<void> {
  try {
    await db.collection(collection).dropIndex(name);
  } catch (err) {
    if (serverCode(err) !== INDEX_NOT_FOUND) throw err; // another process dropped it first
  }
}

/**
 * Drops what stands in the way of INDEXES on one collection: an index of ours whose key or
 * options changed (same name), one with our key under another name, and retired ones. Each drop
 * is logged, so an upgrade never needs a hand-run step and never changes an index silently.
 */
async function clearConflicts(db: Db, collection: CollectionName, log: Log): Promise<void> {
  const wanted = INDEXES[collection];
  const retired = RETIRED_INDEXES[collection] ?? [];
  for (const existing of await existingIndexes(db, collection)) {
    const name = String(existing['name']);
    if (name === '_id_') continue;
    const ours = wanted.find((s) => s.name === name);
    const sameKeyOtherName = wanted.find((s) => s.name !== name && isDeepStrictEqual(definition(s)['key'], definition(existing)['key']));
    let why: string | null = null;
    if (ours && !sameIndex(ours, existing)) why = 'its key or options changed';
    else if (!ours && sameKeyOtherName) why = `its key is now index ${sameKeyOtherName.name}`;
    else if (!ours && retired.includes(name)) why = 'nothing queries it any more';
    if (!why) continue;
    log.warn({ collection, index: name, was: definition(existing), now: ours ? definition(ours) : null }, `MongoDB index dropped: ${why}`);
    await dropIndex(db, collection, name);
  }
}

/**
 * Makes the server's indexes those of INDEXES, at every start. An index that exists as specified
 * is left alone (createIndexes is a no-op for it); one whose options changed is dropped and
 * created again, with a log line. Two processes starting together may both drop and create: the
 * drops tolerate each other and createIndexes of one definition is idempotent. If a process of
 * another version recreates its own definition in between (codes 85/86), one more round settles it.
 * Indexes that are not ours and not retired (an operator's own) are left as they are.
 *
 * Like every operation, a build is bounded by socketTimeoutMS (15 s unless the URI says
 * otherwise): an upgrade that adds an index to a very large collection should raise it in
 * MONGODB_URI for that start.
 */
export async function ensureIndexes(db: Db, log: Log): Promise<void> {
  for (const collection of Object.keys(INDEXES) as CollectionName[]) {
    for (let round = 1; ; round++) {
      await clearConflicts(db, collection, log);
      try {
        // Copies: the driver is handed its own objects, so the exported specs stay as written.
        await db.collection(collection).createIndexes(INDEXES[collection].map((s) => ({ ...s })));
        break;
      } catch (err) {
        if (round >= 2 || !INDEX_CONFLICTS.has(serverCode(err) ?? 0)) throw err;
      }
    }
  }
}
