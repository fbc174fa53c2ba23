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
  /** The end this job is for (absent on jobs queued before it was kept). */
  until: z.iso.datetime().optional(),
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

  async schedule(g: { grantId: string; subject: { type: 'permission' | 'technicalUser'; id: string }; until: Date }, o: { again?: boolean } = {}): Promise<void> {
    const now = this.clock.now().getTime();
    const data = GrantJobData.parse({ grantId: g.grantId, subject: g.subject, until: g.until.toISOString() });
    // BullMQ job ids may not contain ':'. A job that fired early is still running under the end's
    // own id, so an add() under that id would be dropped: set again, it gets an id of its own.
    const jobId = `end-${g.grantId}-${g.until.getTime()}${o.again ? `-again-${now}` : ''}`;
    await this.queue.add('end-grant', data, { jobId, delay: Math.max(0, g.until.getTime() - now) });
  }
}
