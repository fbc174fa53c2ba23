/**
 * Owners and reviews of technical users. Every technical user has an owner (a Slack user, by
 * default whoever asked for its creation) who confirms, every review period, that it is still
 * needed. The review moves through stages, each entered at most once per period:
 *
 *   waiting --(period over)--> asked --(7 days)--> reminded --(14 days after asking)--> escalated
 *   escalated --(deleteUnreviewedAfterDays, when set)--> delete-requested
 *
 * and "Keep" (or a transfer of ownership) starts a new period from `waiting`. Escalated and
 * delete-requested technical users are *unreviewed*. Each record carries `nextAt`, when it next
 * has something due, so a scan reads only those (through an index) and claims each step with a
 * compare-and-set on the record's version: however many workers scan, a step happens once.
 */
import type { AppliedChange } from './applied.js';
import { DEFAULT_POLICY, type WorkspacePolicy } from './workspace.js';

export const REVIEW_STAGES = ['waiting', 'asked', 'reminded', 'escalated', 'delete-requested'] as const;
export type ReviewStage = (typeof REVIEW_STAGES)[number];

/** How the owner came to be: the creation's requester, found in history, a transfer, or nobody known. */
export type OwnerSource = 'creator' | 'history' | 'transfer' | 'none';

export interface OwnershipRecord {
  /** The technical user's id (one record per technical user). */
  id: string;
  workspaceId: string;
  /** The technical user's name, for messages. */
  userName: string;
  /** Slack user id of the owner; null when nobody is known (shown as unowned). */
  owner: string | null;
  ownerSource: OwnerSource;
  /** When the current review period began: creation, adoption, the last Keep or transfer. */
  periodStart: Date;
  stage: ReviewStage;
  askedAt: Date | null;
  escalatedAt: Date | null;
  /** When a scan next has something to do for this record; null: nothing until someone acts. */
  nextAt: Date | null;
  lastReviewedAt: Date | null;
  lastReviewedBy: string | null;
  /** When its API token was last exchanged (written at most once a minute; null: never seen). */
  lastUsedAt: Date | null;
  /** The delete request Keywarden opened for it, once unreviewed long enough. */
  deleteRequestId: string | null;
  /**
   * The transfers of ownership made to it (domain/applied.ts), written in the same compare-and-set
   * as the new owner: a transfer run again after later ones recognises its own and changes
   * nothing. Absent on records older than this memory.
   */
  applied?: AppliedChange[];
  version: number;
}

export const REMIND_AFTER_DAYS = 7;
export const ESCALATE_AFTER_DAYS = 14;
/** With reviews turned off, a due record is looked at again this often, in case they are turned on. */
const RECHECK_MS = 86_400_000;
const DAY = 86_400_000;

export interface ReviewPolicy {
  reviewDays: number;
  deleteAfterDays: number;
}

export const reviewPolicy = (p: WorkspacePolicy): ReviewPolicy => ({
  reviewDays: p.techUserReviewDays ?? DEFAULT_POLICY.techUserReviewDays!,
  deleteAfterDays: p.deleteUnreviewedAfterDays ?? DEFAULT_POLICY.deleteUnreviewedAfterDays!,
});

export const isUnreviewed = (r: Pick<OwnershipRecord, 'stage'>): boolean => r.stage === 'escalated' || r.stage === 'delete-requested';

/** When the owner is first asked in a period (null with reviews off). */
const askAt = (r: OwnershipRecord, p: ReviewPolicy): Date | null =>
  p.reviewDays > 0 ? new Date(r.periodStart.getTime() + p.reviewDays * DAY) : null;

export type ReviewFields = Partial<Omit<OwnershipRecord, 'id' | 'workspaceId' | 'version'>>;

/** What a due record calls for now: one of the steps, or only a new `nextAt` (nothing to say). */
export type ReviewStep =
  | { kind: 'ask' | 'remind' | 'escalate' | 'request-delete'; fields: ReviewFields }
  | { kind: 'reschedule'; fields: ReviewFields };

/**
 * The step due for `r` at `now`. Steps that fell due while nobody scanned are taken one per call,
 * in order (a scan after a long outage reminds, and only the next scan escalates), so every
 * message of a period is sent once and in sequence.
 */
export function dueStep(r: OwnershipRecord, p: ReviewPolicy, now: Date): ReviewStep {
  const at = (d: Date | null): ReviewStep => ({ kind: 'reschedule', fields: { nextAt: d } });
  const after = (from: Date, days: number) => new Date(from.getTime() + days * DAY);
  if (p.reviewDays <= 0) return r.stage === 'delete-requested' ? at(null) : at(new Date(now.getTime() + RECHECK_MS));
  switch (r.stage) {
    case 'waiting': {
      const due = askAt(r, p)!;
      if (now < due) return at(due);
      return { kind: 'ask', fields: { stage: 'asked', askedAt: now, nextAt: after(now, REMIND_AFTER_DAYS) } };
    }
    case 'asked': {
      const due = after(r.askedAt ?? now, REMIND_AFTER_DAYS);
      if (now < due) return at(due);
      return { kind: 'remind', fields: { stage: 'reminded', nextAt: after(r.askedAt ?? now, ESCALATE_AFTER_DAYS) } };
    }
    case 'reminded': {
      const due = after(r.askedAt ?? now, ESCALATE_AFTER_DAYS);
      if (now < due) return at(due);
      const deleteAt = p.deleteAfterDays > 0 ? after(now, p.deleteAfterDays) : null;
      return { kind: 'escalate', fields: { stage: 'escalated', escalatedAt: now, nextAt: deleteAt } };
    }
    case 'escalated': {
      if (p.deleteAfterDays <= 0) return at(null);
      const due = after(r.escalatedAt ?? now, p.deleteAfterDays);
      if (now < due) return at(due);
      return { kind: 'request-delete', fields: { stage: 'delete-requested', nextAt: null } };
    }
    case 'delete-requested':
      return at(null);
  }
}

/** A new period from `now`: what Keep and a transfer of ownership do. */
export function newPeriod(now: Date, p: ReviewPolicy): ReviewFields {
  return {
    periodStart: now, stage: 'waiting', askedAt: null, escalatedAt: null, deleteRequestId: null,
    nextAt: p.reviewDays > 0 ? new Date(now.getTime() + p.reviewDays * DAY) : new Date(now.getTime() + RECHECK_MS),
  };
}

/** The record of a technical user that has none yet. */
export function newOwnership(
  tu: { id: string; workspaceId: string; userName: string }, owner: string | null, source: OwnerSource, now: Date, p: ReviewPolicy,
): OwnershipRecord {
  return {
    id: tu.id, workspaceId: tu.workspaceId, userName: tu.userName, owner, ownerSource: source,
    lastReviewedAt: null, lastReviewedBy: null, lastUsedAt: null, version: 0, ...(newPeriod(now, p) as Required<Pick<OwnershipRecord, 'periodStart' | 'stage' | 'askedAt' | 'escalatedAt' | 'nextAt' | 'deleteRequestId'>>),
  };
}
