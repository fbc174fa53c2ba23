/**
 * Baseline for the apply throughput: a BullMQ worker whose processor does nothing, on the same
 * Redis, with the product's queue options (createApplyQueue) and worker concurrency, fed the same
 * number of jobs the same way (job id = a request id, parallel adds).
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { createApplyQueue } from '../../src/queue/apply-queue.js';
import { redisConnection } from '../../src/queue/connection.js';
import { APPLY_QUEUE } from '../../src/queue/names.js';
import { serve } from '../harness.js';

let worker: Worker | null = null;
let completed = 0;
let args: { redisUrl: string; prefix: string; concurrency: number };

serve({
  async start(a: typeof args) {
    args = a;
    worker = new Worker(APPLY_QUEUE, async () => undefined, { connection: redisConnection(a.redisUrl, 'worker'), prefix: a.prefix, concurrency: a.concurrency });
    worker.on('completed', () => completed++);
    await worker.waitUntilReady();
    return {};
  },
  /** Queues n jobs and answers when the worker has completed them all. */
  async run(a: { n: number; parallel: number }) {
    const producer = redisConnection(args.redisUrl, 'producer');
    const queue = createApplyQueue(producer, args.prefix);
    const target = completed + a.n;
    const ids = Array.from({ length: a.n }, () => randomUUID());
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const requestId = ids[next++]!;
        await queue.add('apply', { requestId }, { jobId: requestId });
      }
    };
    await Promise.all(Array.from({ length: a.parallel }, lane));
    while (completed < target) await new Promise((r) => setTimeout(r, 2));
    await queue.close();
    producer.disconnect();
    return { completed: a.n };
  },
  async stop() {
    await worker?.close();
  },
});
