/**
 * The scheduled maintenance jobs. Each is one use-case call that is safe to run at any time and
 * from any worker (every change it makes is a compare-and-set); BullMQ's job schedulers run each
 * once per interval however many workers there are, and the maintenance worker runs one at a time.
 */
import type { ExpiryService } from '../src/app/expiry.js';
import type { GrantService } from '../src/app/grants.js';
import type { OwnershipReviewService } from '../src/app/ownership-reviews.js';
import type { Log } from '../src/app/ports.js';
import type { RequestService } from '../src/app/requests.js';
import type { TechnicalUserService } from '../src/app/technical-users.js';
import type { BreakGlassService } from '../src/app/break-glass.js';
import type { Escalations } from '../src/app/escalation.js';
import {
  END_GRANTS_JOB, ESCALATE_REQUESTS_JOB, EXPIRE_REQUESTS_JOB, POST_UNPOSTED_JOB, REMIND_APPROVERS_JOB, REMIND_BREAK_GLASS_JOB, REVIEW_OWNERS_JOB,
  REVOKE_UNREVEALED_JOB, SCAN_EXPIRY_JOB, SWEEP_APPROVED_JOB, ACCESS_REVIEWS_JOB,
} from '../src/queue/names.js';

export interface MaintenanceJob {
  name: string;
  everyMs: number;
  /** Returns how many things it acted on. */
  run(): Promise<number>;
}

export function maintenanceJobs(
  s: {
    requests: RequestService; technicalUsers: TechnicalUserService; expiry: ExpiryService; grants: GrantService;
    reviews?: OwnershipReviewService; breakGlass?: BreakGlassService; escalations?: Escalations;
    accessReviews?: { startDue(): Promise<number>; sweep(): Promise<number> };
  },
  every: { sweepMs: number; expiryScanMs: number },
): MaintenanceJob[] {
  // Technical users made before reviews existed get their owner once per worker process, at its
  // first review run (cheap to repeat: those already adopted are skipped).
  let adopted = false;
  const reviews = s.reviews;
  return [
    // The outbox: approvals recorded while Redis was away.
    { name: SWEEP_APPROVED_JOB, everyMs: every.sweepMs, run: () => s.requests.sweepApproved() },
    // Requests stored but never posted for approval (the process stopped in between).
    { name: POST_UNPOSTED_JOB, everyMs: every.sweepMs, run: () => s.requests.postUnposted() },
    { name: REMIND_APPROVERS_JOB, everyMs: every.sweepMs, run: () => s.requests.remindApprovers() },
    { name: EXPIRE_REQUESTS_JOB, everyMs: every.sweepMs, run: () => s.requests.expirePending() },
    { name: REVOKE_UNREVEALED_JOB, everyMs: every.sweepMs, run: async () => (await s.technicalUsers.revokeUnrevealed()).length },
    // The backstop for grant ends whose delayed job was lost (Redis emptied, or down at the time).
    { name: END_GRANTS_JOB, everyMs: every.sweepMs, run: () => s.grants.sweep() },
    { name: SCAN_EXPIRY_JOB, everyMs: every.expiryScanMs, run: () => s.expiry.scanTokens() },
    // Owners asked, reminded, channels told, delete requests opened: only the records due (index).
    ...(reviews ? [{
      name: REVIEW_OWNERS_JOB,
      everyMs: every.sweepMs,
      run: async () => {
        if (!adopted) {
          await reviews.adoptAll();
          adopted = true;
        }
        return reviews.scan();
      },
    }] : []),
    // Policy rules: pending requests escalated, break-glass changes nobody reviewed reminded.
    ...(s.escalations ? [{ name: ESCALATE_REQUESTS_JOB, everyMs: every.sweepMs, run: () => s.escalations!.escalateDue() }] : []),
    ...(s.breakGlass ? [{ name: REMIND_BREAK_GLASS_JOB, everyMs: every.sweepMs, run: () => s.breakGlass!.remindUnreviewed() }] : []),
    // Access reviews: campaigns started once per period, reviewers reminded, due ones closed.
    ...(s.accessReviews ? [{ name: ACCESS_REVIEWS_JOB, everyMs: every.sweepMs, run: async () => (await s.accessReviews!.startDue()) + (await s.accessReviews!.sweep()) }] : []),
  ];
}

/** The maintenance queue's processor: runs the named job and logs what it did. */
export function maintenanceProcessor(jobs: MaintenanceJob[], log: Log) {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  return async (job: { name: string }): Promise<number> => {
    const j = byName.get(job.name);
    if (!j) return 0; // a scheduler left by another version; nothing to do
    const n = await j.run();
    if (n > 0) log.info({ job: j.name, count: n }, 'maintenance job acted');
    return n;
  };
}
