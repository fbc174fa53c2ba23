/**
 * The end of each time-bound grant as a delayed BullMQ job. The job id names the grant and its
 * end, so scheduling the same end twice yields one job, and an extension (a new end) gets its own;
 * the job that fires for an end that moved finds the grant not due and does nothing. Job data is
 * ids only. A job lost with Redis is covered by the grant sweep (GrantService.sweep).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock, GrantTimer } from '../app/ports.js';
import { GRANT_QUEUE, QUEUE_PREFIX } from './names.js';

export const GrantJobData = z.object({
  grantId: z.uuid(),
  subject: z.object({ type: z.enum(['permission', 'technicalUser']), id: z.string().min(1).max(200) }),
});
export type GrantJobData = z.infer<typeof GrantJobData>;

export function createGrantQueue(connection: Redis, prefix = QUEUE_PREFIX): Queue {
  return new Queue(GRANT_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 24 * 3600, count: 50_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
}

export class BullGrantTimer implements GrantTimer {
  constructor(private readonly queue: Queue, private readonly clock: Clock) {}

  async schedule(g: { grantId: string; subject: { type: 'permission' | 'technicalUser'; id: string }; until: Date }): Promise<void> {
    const data = GrantJobData.parse({ grantId: g.grantId, subject: g.subject });
    // BullMQ job ids may not contain ':'.
    await this.queue.add('end-grant', data, {
      jobId: `end-${g.grantId}-${g.until.getTime()}`,
      delay: Math.max(0, g.until.getTime() - this.clock.now().getTime()),
    });
  }
}
