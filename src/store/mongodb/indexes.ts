/**
 * Every index Keywarden relies on, as data (so a test can read it without a server), and the
 * function that creates them. The unique indexes are where the store's invariants live: the
 * adapters turn their duplicate-key errors into the outcomes the ports promise.
 */
import type { Db, IndexDescription } from 'mongodb';
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
    { name: INDEX.workspaceName, key: { name: 1 }, unique: true },
    // Which workspace a Slack team uses, when no `workspace:<name>` is given.
    { name: 'slack.teamId', key: { 'slack.teamId': 1 } },
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
    // Pending requests never posted for approval, oldest first (listUnposted; `slack: null` is
    // checked on the few pending ones the index finds).
    { name: 'status_createdAt', key: { status: 1, createdAt: 1 } },
    { name: 'workspaceId_createdAt', key: { workspaceId: 1, createdAt: -1 } },
    // The App Home: a workspace's pending requests, and an admin's own, newest first (listByWorkspace).
    { name: 'workspaceId_status_createdAt', key: { workspaceId: 1, status: 1, createdAt: -1 } },
    { name: 'workspaceId_requester_createdAt', key: { workspaceId: 1, requester: 1, createdAt: -1 } },
  ],
  [COLLECTIONS.history]: [
    { name: 'subject_at', key: { 'subject.type': 1, 'subject.id': 1, at: -1 } },
  ],
  // TTL: MongoDB deletes a sealed token once its expiresAt has passed. The monitor runs about
  // once a minute, so `claim` still compares expiresAt itself.
  [COLLECTIONS.tokenReveals]: [{ name: 'expiresAt_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }],
  // One key per generation: processes racing to create or rotate a key agree on the first one.
  [COLLECTIONS.signingKeys]: [{ name: INDEX.signingKeyGeneration, key: { generation: 1 }, unique: true }],
};

/**
 * Creates every index. Idempotent: an index that exists with the same name and options is left
 * alone. One that exists with other options fails loudly (IndexOptionsConflict) rather than being
 * dropped behind an operator's back.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, specs] of Object.entries(INDEXES)) {
    // Copies: the driver is handed its own objects, so the exported specs stay as written.
    await db.collection(collection).createIndexes(specs.map((s) => ({ ...s })));
  }
}
