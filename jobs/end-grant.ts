/** The grant queue's processor: a grant's end is due; GrantService decides whether it really is. */
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { GrantService } from '../src/app/grants.js';
import { isGrantEndHeld } from '../src/app/grant-end-held.js';
import type { Log } from '../src/app/ports.js';
import { GrantJobData } from '../src/queue/grant-timer.js';

export function endGrantProcessor(grants: GrantService, log: Log) {
  return async (job: Job): Promise<string> => {
    const data = GrantJobData.safeParse(job.data);
    if (!data.success) {
      log.error({ jobId: job.id, issues: data.error.issues }, 'malformed grant job');
      throw new UnrecoverableError('malformed grant job data');
    }
    const { subject, grantId, until } = data.data;
    try {
      const outcome = await grants.expire(subject, grantId, until ? new Date(until) : undefined);
      log.info({ grantId, outcome }, 'grant end job');
      return outcome;
    } catch (err) {
      // Not taken where the truth is (a connected LeanIX down, unauthorised, or refusing): the grant
      // stays due, and the grant sweep tries again every 30 seconds until it is (app/grant-end-held.ts).
      // One loop of tries, not two: this job does not retry beside the sweep.
      if (!isGrantEndHeld(err)) throw err;
      log.warn({ grantId, why: err.reason }, 'grant end held: LeanIX did not take the role back; the grant sweep tries again');
      return 'held';
    }
  };
}
