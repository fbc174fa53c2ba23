/**
 * The one shape of a drift line: a difference between what Keywarden expected of a subject and
 * what LeanIX shows, made by someone outside Keywarden. Both the apply path (a change refused
 * because LeanIX no longer shows what the approvers saw) and the sync (leanix-sync) write it
 * through `recordDrift`, so `/permission drift`, the notifications and the audit read one format:
 *
 *   action   permission.changed_outside | techuser.changed_outside
 *   actor    { type: 'leanix' }
 *   before   the fields as Keywarden expected them (only those that differ)
 *   after    the same fields as LeanIX shows them
 *   requestId the request that found it, or null (the sync)
 *
 * The line's id is derived from the subject, the difference and `basis`, so the same drift seen
 * again on the same basis (a retried job, a repeated sync of the same mirror version) is one line.
 */
import { createHash } from 'node:crypto';
import type { HistoryRepository } from '../app/ports.js';
import type { HistoryEntry, SubjectType } from '../domain/history.js';

export const DRIFT_ACTIONS = { permission: 'permission.changed_outside', technicalUser: 'techuser.changed_outside' } as const satisfies Record<SubjectType, string>;
export type DriftAction = (typeof DRIFT_ACTIONS)[SubjectType];
export const isDriftAction = (action: string): action is DriftAction => Object.values(DRIFT_ACTIONS).includes(action as DriftAction);

export interface Drift {
  workspaceId: string;
  subject: { type: SubjectType; id: string; label: string };
  /** What Keywarden expected: only the fields that differ (never a token). */
  expected: Record<string, unknown>;
  /** What LeanIX shows for those fields. */
  found: Record<string, unknown>;
  /** The request whose apply found it; null when the sync did. */
  requestId: string | null;
  /** What makes this sighting distinct: the request id on the apply path, the mirror's version in the sync. */
  basis: string;
  at: Date;
}

/** The history line for a drift (not yet appended). */
export function driftEntry(d: Drift): HistoryEntry {
  const digest = createHash('sha256').update(JSON.stringify([d.subject.type, d.subject.id, d.expected, d.found, d.basis])).digest('hex').slice(0, 24);
  return {
    id: `drift:${digest}`,
    workspaceId: d.workspaceId,
    subject: d.subject,
    action: DRIFT_ACTIONS[d.subject.type],
    actor: { type: 'leanix' },
    requestId: d.requestId,
    approvers: [],
    before: d.expected,
    after: d.found,
    at: d.at,
  };
}

/** Appends the drift line (insert-if-absent by its id); returns it. */
export async function recordDrift(history: Pick<HistoryRepository, 'append'>, d: Drift): Promise<HistoryEntry> {
  const entry = driftEntry(d);
  await history.append(entry);
  return entry;
}

/** The fields of `expected` whose value `found` does not share, each side with only those fields. */
export function differences(expected: Record<string, unknown>, found: Record<string, unknown>): { expected: Record<string, unknown>; found: Record<string, unknown> } | null {
  const keys = Object.keys(expected).filter((k) => JSON.stringify(expected[k]) !== JSON.stringify(found[k]));
  if (keys.length === 0) return null;
  return { expected: Object.fromEntries(keys.map((k) => [k, expected[k]])), found: Object.fromEntries(keys.map((k) => [k, found[k] ?? null])) };
}
