export type Actor =
  | { type: 'slack'; id: string }
  | { type: 'technicalUser'; id: string; name: string }
  | { type: 'system' }
  /** A change made in a connected LeanIX workspace, not by Keywarden (drift; see leanix/drift-record.ts). */
  | { type: 'leanix' };

export type SubjectType = 'permission' | 'technicalUser';
/** What a history line is about: a subject, or (`accessReview`) a campaign's start and close; its decisions are lines of the permission. */
export type HistorySubjectType = SubjectType | 'accessReview';

/**
 * Append-only changelog. `before`/`after` hold only the fields that changed, never a token.
 * The id is derived from what happened (e.g. `<requestId>:applied`) so a retried job that writes
 * the same entry again is a no-op rather than a duplicate line.
 */
export interface HistoryEntry {
  id: string;
  workspaceId: string;
  subject: { type: HistorySubjectType; id: string; label: string };
  action: string;
  actor: Actor;
  requestId: string | null;
  approvers: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Why, on lines that record a decision rather than a change (a rejection's reason). */
  reason?: string | null;
  at: Date;
  /**
   * The chain link the store adds when it appends the line (history-chain.ts): its place in the
   * workspace's chain, the hash of the line before it, and its own hash. Absent on an entry not
   * yet appended.
   */
  seq?: number;
  prevHash?: string;
  hash?: string;
}

export const describeActor = (a: Actor): string =>
  a.type === 'slack' ? `<@${a.id}>` : a.type === 'technicalUser' ? `technical user ${a.name}` : a.type === 'leanix' ? 'someone in LeanIX' : 'Keywarden';
