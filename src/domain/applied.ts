/**
 * What a subject (a permission, a technical user) remembers of the requests that changed it, so a
 * request can tell for itself whether its change was made. A queue job may run again long after
 * its first run died, with other changes applied in between; "is the last change mine?" cannot
 * answer that, "is my id among the changes made to this subject?" can. The entry is written in the
 * same compare-and-set as the change itself, so the change and the memory of it are one step.
 */
import type { Grant, GrantEnd } from './grant.js';

/** One change carried out on a subject, with what it changed (only the fields that changed). */
export interface AppliedChange {
  /** The request id (or, for changes that are not requests, the id of what made them). */
  id: string;
  at: Date;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /**
   * For the end of a grant: how it ended (it ran out, or who ended it early). A run that finds
   * the end already made finishes its history line and message as the end was made, not as that
   * run would have made it.
   */
  end?: GrantEnd;
  /**
   * For a change that closed an active grant (a later role wins over it): that grant, so a run
   * that finds the change made also writes the grant's "superseded" line if the first run died
   * before it.
   */
  superseded?: Grant;
}

/**
 * How many changes a subject remembers. Beyond this the oldest are dropped, and a re-run that does
 * not find its id also looks for its history line (written right after the change), so a request
 * is only ever applied twice if its first run died between its change and its history line AND
 * more than this many later changes to the same subject were made before it ran again.
 */
export const APPLIED_KEPT = 100;

/** The change `id` made to the subject, if it remembers one. */
export const appliedChange = (applied: readonly AppliedChange[] | undefined, id: string): AppliedChange | null =>
  applied?.find((a) => a.id === id) ?? null;

/** The subject's memory with `change` added (once), the oldest dropped beyond APPLIED_KEPT. */
export function remember(applied: readonly AppliedChange[] | undefined, change: AppliedChange): AppliedChange[] {
  const rest = (applied ?? []).filter((a) => a.id !== change.id);
  return [...rest, change].slice(-APPLIED_KEPT);
}

/** Only the fields whose values differ, on each side: what history shows of a change. */
export function diff(
  before: Record<string, unknown> | null, after: Record<string, unknown> | null,
): { before: Record<string, unknown> | null; after: Record<string, unknown> | null } {
  if (!before || !after) return { before, after };
  const changed = Object.keys({ ...before, ...after }).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return {
    before: Object.fromEntries(changed.filter((k) => k in before).map((k) => [k, before[k]])),
    after: Object.fromEntries(changed.filter((k) => k in after).map((k) => [k, after[k]])),
  };
}
