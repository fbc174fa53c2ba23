/**
 * Seen while trying the second review (issue 20, "smaller things"): a grant's end job that fires
 * early (the host that scheduled it keeps a clock ahead of the one that runs it) set itself again
 * under its own id, which BullMQ dropped while that job was still running; the end was left to
 * the 30-second sweep. A real redis-server and BullMQ worker running the product's processor; the
 * world's clock is behind the moment the job fires.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endGrantProcessor } from '../../jobs/end-grant.js';
import { GrantService } from '../../src/app/grants.js';
import { createLog } from '../../src/log.js';
import { BullGrantTimer, createGrantQueue } from '../../src/queue/grant-timer.js';
import { GRANT_QUEUE } from '../../src/queue/names.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { crashWorld } from './crash-world.js';
import { endLines, granted, HOUR, permissionOf } from './grant-world.js';
import { waitUntil } from './flow.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('a grant end job that fires early', () => {
  it('sets itself again, and ends the grant when its time comes, without the sweep', async () => {
    const w = await crashWorld();
    const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
    const producer = new Redis(redis.url, { maxRetriesPerRequest: null });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = createGrantQueue(producer, prefix);
    const grants = new GrantService({ store: w.f.store, clock: w.clock, log: createLog('silent'), notifier: w.notifier, timer: new BullGrantTimer(queue, w.clock) });
    const worker = new Worker(GRANT_QUEUE, endGrantProcessor(grants, createLog('silent')), { connection, prefix });
    worker.on('error', () => undefined);
    try {
      const id = await granted(w, 60);
      const [g] = w.timer.scheduled;
      // Our clock is 300 ms short of the end when the job fires: the other host's clock said it was time.
      w.clock.advance(HOUR - 300);
      const firstRun = new Promise<void>((resolve) => worker.once('completed', () => resolve()));
      await queue.add('end-grant', { grantId: id, subject: g!.subject, until: g!.until.toISOString() }, { jobId: `end-${id}-${g!.until.getTime()}` });
      await firstRun;
      expect((await permissionOf(w)).role).toBe('ADMIN');
      // Our clock reaches the end; no sweep runs here.
      w.clock.advance(1000);
      await waitUntil(async () => (await permissionOf(w)).role === 'MEMBER', 'the grant to end', 5000);
      expect(await endLines(w)).toHaveLength(1);
      expect(w.notifier.grantEnds.filter((e) => e.id === id)).toHaveLength(1);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      producer.disconnect();
      connection.disconnect();
    }
  });
});
