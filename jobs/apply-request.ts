import type { Job } from 'bullmq';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { isRetryLater } from '../src/app/retry-later.js';
import type { Log } from '../src/app/ports.js';
import type { RequestService } from '../src/app/requests.js';
import { isDomainError } from '../src/domain/errors.js';
import { ApplyJobData } from '../src/queue/apply-queue.js';

/**
 * Applies one approved request. Safe to run more than once for the same request: the use case
 * checks the request's state and the permission's last change before doing anything.
 */
export function applyRequestProcessor(requests: RequestService, log: Log) {
  return async (job: Job, token?: string): Promise<void> => {
    const data = ApplyJobData.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError('malformed job data');
    const { requestId } = data.data;
    try {
      await requests.apply(requestId);
    } catch (err) {
      // A broken rule will not mend itself: fail at once (the request already says why).
      if (isDomainError(err)) throw new UnrecoverableError(err.message);
      // A target that does not answer yet (a connected LeanIX): run again later without spending an
      // attempt; the request's own deadline (30 minutes after approval) ends the waiting.
      if (isRetryLater(err)) {
        log.warn({ requestId, delayMs: err.delayMs, why: err.message }, 'change target not answering; trying again later');
        await job.moveToDelayed(Date.now() + err.delayMs, token);
        throw new DelayedError();
      }
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        log.error({ err, requestId }, 'giving up on a request after its last attempt');
        await requests.giveUp(requestId, `it could not be applied after ${attempts} attempts (${errorMessage(err)}).`);
      }
      throw err;
    }
  };
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 200);
