import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ApplyQueue } from '../app/ports.js';
import { APPLY_QUEUE, QUEUE_PREFIX } from './names.js';

/** Job data is only the request id: the request itself (and any secret) stays in the store. */
export const ApplyJobData = z.object({ requestId: z.uuid() });

export const APPLY_ATTEMPTS = 6;

export function createApplyQueue(connection: Redis, prefix = QUEUE_PREFIX): Queue {
  return new Queue(APPLY_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: APPLY_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      // Finished jobs are kept a day so a duplicate add() with the same id stays a no-op.
      removeOnComplete: { age: 24 * 3600, count: 50_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
}

/**
 * The job id is the request id, so queueing the same request twice yields one job. The outbox
 * sweep queues requests it found still APPROVED with `retryFailed`: a job of that id that failed
 * for good (its attempts used up while the store was away, which also kept its request from being
 * marked FAILED) is then run again, under the same id, since add() alone would do nothing for the
 * 7 days a failed job is kept. A re-run finds a request finished meanwhile and leaves it. A click
 * queues a request just approved, which has no job yet: it costs no second call.
 */
export class BullApplyQueue implements ApplyQueue {
  constructor(private readonly queue: Queue) {}

  async enqueue(requestId: string, o: { retryFailed?: boolean } = {}): Promise<void> {
    await this.queue.add('apply', ApplyJobData.parse({ requestId }), { jobId: requestId });
    if (!o.retryFailed || (await this.queue.getJobState(requestId)) !== 'failed') return;
    const job = await this.queue.getJob(requestId);
    // Another sweep may have retried it a moment ago: then it is no longer failed, and that is fine.
    await job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(async (err: unknown) => {
      if ((await this.queue.getJobState(requestId)) === 'failed') throw err;
    });
  }
}
