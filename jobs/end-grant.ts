/** The grant queue's processor: a grant's end is due; GrantService decides whether it really is. */
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { GrantService } from '../src/app/grants.js';
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
    const outcome = await grants.expire(subject, grantId, until ? new Date(until) : undefined);
    log.info({ grantId: data.data.grantId, outcome }, 'grant end job');
    return outcome;
  };
}
