/**
 * What the sync needs of time-bound grants (app/grants.ts): a grant whose subject was changed in
 * LeanIX outside Keywarden ends in the sync's own compare-and-set, without going back to its
 * `revertTo` (that would write over the change made outside), and its end is then finished as
 * any other: one history line, one message saying so.
 */
import type { AppliedChange } from '../domain/applied.js';
import type { Grant } from '../domain/grant.js';
import type { Role } from '../domain/permission.js';
import type { SubjectRef } from '../app/grant-subjects.js';
import type { GrantService } from '../app/grants.js';

export interface GrantEndedOutside {
  /** The grant's end as the sync records it on the subject, in the same write as the change. */
  endEntry(grant: Grant, from: Role, to: Role, at: Date): AppliedChange;
  /** Finishes the end the sync made: its history line and its message. */
  finish(ref: SubjectRef, grantId: string): Promise<void>;
}

/** The port on the grant service. */
export const grantsOutside = (grants: Pick<GrantService, 'endedOutsideEntry' | 'finishEndedOutside'>): GrantEndedOutside => ({
  endEntry: (grant, from, to, at) => grants.endedOutsideEntry(grant, from, to, at),
  finish: (ref, grantId) => grants.finishEndedOutside(ref, grantId),
});
