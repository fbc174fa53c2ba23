/**
 * The apply job on a real BullMQ queue and a private Redis: the processor of jobs/apply-request.ts
 * in a Worker made here, the real RequestService on the in-memory store. Each test uses its own
 * key prefix and removes its keys afterwards; backoff delays are overridden per job to stay fast.
 */
import { randomUUID } from 'node:crypto';
import { type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyRequestProcessor } from '../../jobs/apply-request.js';
import type { Store } from '../../src/app/ports.js';
import { createLog } from '../../src/log.js';
import { BullApplyQueue, createApplyQueue } from '../../src/queue/apply-queue.js';
import { APPLY_QUEUE } from '../../src/queue/names.js';
import { ACTIVE, approved, flakyPermissionUpdates, seededStore, world, type World } from '../app/fixtures.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const toAdmin = { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } } as const;
const FAST: JobsOptions = { backoff: { type: 'fixed', delay: 20 } };

let redis: TestRedis;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await redis?.stop();
});

interface Rig {
  w: World;
  queue: Queue;
  /** How many times the processor ran. */
  runs(): number;
  startWorker(): void;
}

async function rig(store?: Store): Promise<Rig> {
  const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
  const producer = new Redis(redis.url, { maxRetriesPerRequest: null });
  const consumer = new Redis(redis.url, { maxRetriesPerRequest: null });
  const w = await world(store ? { store } : {});
  const queue = createApplyQueue(producer, prefix);
  const process = applyRequestProcessor(w.requests, createLog('silent'));
  let runs = 0;
  let worker: Worker | undefined;
  closers.push(async () => {
    await worker?.close();
    await queue.obliterate({ force: true });
    await queue.close();
    expect(await producer.keys(`${prefix}:*`)).toEqual([]);
    producer.disconnect();
    consumer.disconnect();
  });
  return {
    w, queue, runs: () => runs,
    startWorker() {
      worker = new Worker(APPLY_QUEUE, async (job: Job) => {
        runs++;
        await process(job);
      }, { connection: consumer, prefix, concurrency: 4 });
      worker.on('error', () => undefined);
    },
  };
}

/** Waits until the job is completed or failed, and returns it. */
async function finished(queue: Queue, id: string, ms = 10_000): Promise<Job> {
  const end = Date.now() + ms;
  for (;;) {
    const job = await queue.getJob(id);
    const state = job && (await job.getState());
    // Read again once it is final: the job read before getState may predate the attempt's end
    // (attemptsMade still 0), which made this test fail now and then on a busy machine.
    if (job && (state === 'completed' || state === 'failed')) return (await queue.getJob(id))!;
    if (Date.now() > end) throw new Error(`job ${id} is still ${state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('apply-request job', () => {
  it('applies an approved request, with job data that is only the request id', async () => {
    const t = await rig();
    const r = await approved(t.w, toAdmin);
    await new BullApplyQueue(t.queue).enqueue(r.id);
    expect((await t.queue.getJob(r.id))?.data).toEqual({ requestId: r.id });
    t.startWorker();
    expect(await (await finished(t.queue, r.id)).getState()).toBe('completed');
    expect(await t.w.store.requests.findById(r.id)).toMatchObject({ status: 'APPLIED' });
    expect(t.runs()).toBe(1);
  });

  it('fails at once, without retries, on a rule violation, and the request is FAILED', async () => {
    const t = await rig();
    const r = await approved(t.w, toAdmin);
    const p = await t.w.permissionOf(ACTIVE);
    await t.w.permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: { type: 'system' } });
    await t.queue.add('apply', { requestId: r.id }, { ...FAST, jobId: r.id, attempts: 5 });
    t.startWorker();
    const job = await finished(t.queue, r.id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(t.runs()).toBe(1);
    const stored = await t.w.store.requests.findById(r.id);
    expect(stored).toMatchObject({ status: 'FAILED', outcome: expect.stringMatching(/already ADMIN/) });
    expect(job.failedReason).toBe(stored!.outcome);
    expect(t.w.notifier.told.map((x) => x.status)).toEqual(['FAILED']);
  });

  it('fails at once on malformed job data', async () => {
    const t = await rig();
    await t.queue.add('apply', { requestId: 'not-a-uuid' }, { ...FAST, jobId: 'bad-1', attempts: 5 });
    t.startWorker();
    const job = await finished(t.queue, 'bad-1');
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toBe('malformed job data');
    expect(t.runs()).toBe(1);
  });

  it('retries a transient failure and then applies the request once', async () => {
    const store = flakyPermissionUpdates(await seededStore(), 1);
    const t = await rig(store);
    const r = await approved(t.w, toAdmin);
    await t.queue.add('apply', { requestId: r.id }, { ...FAST, jobId: r.id, attempts: 5 });
    t.startWorker();
    const job = await finished(t.queue, r.id);
    expect(await job.getState()).toBe('completed');
    expect(t.runs()).toBe(2);
    expect(store.failures()).toBe(1);
    expect(await t.w.store.requests.findById(r.id)).toMatchObject({ status: 'APPLIED' });
    expect(await t.w.historyOf(ACTIVE)).toHaveLength(1);
    expect(t.w.notifier.told.map((x) => x.status)).toEqual(['APPLIED']);
  });

  it('marks the request FAILED on the last attempt of a failure that does not go away', async () => {
    const store = flakyPermissionUpdates(await seededStore(), 1_000);
    const t = await rig(store);
    const r = await approved(t.w, toAdmin);
    await t.queue.add('apply', { requestId: r.id }, { ...FAST, jobId: r.id, attempts: 3 });
    t.startWorker();
    const job = await finished(t.queue, r.id);
    expect(await job.getState()).toBe('failed');
    expect(t.runs()).toBe(3);
    expect(job.attemptsMade).toBe(3);
    expect(await t.w.store.requests.findById(r.id)).toMatchObject({
      status: 'FAILED', outcome: 'it could not be applied after 3 attempts (MongoNetworkError: connection reset).',
    });
    expect((await t.w.permissionOf(ACTIVE)).role).toBe('MEMBER');
    expect(t.w.notifier.told.map((x) => x.status)).toEqual(['FAILED']);
  });

  it('keeps the request APPROVED between attempts, so only the last one gives up', async () => {
    const store = flakyPermissionUpdates(await seededStore(), 2);
    const t = await rig(store);
    const r = await approved(t.w, toAdmin);
    await t.queue.add('apply', { requestId: r.id }, { ...FAST, jobId: r.id, attempts: 3 });
    t.startWorker();
    expect(await (await finished(t.queue, r.id)).getState()).toBe('completed');
    expect(t.runs()).toBe(3);
    expect(await t.w.store.requests.findById(r.id)).toMatchObject({ status: 'APPLIED' });
  });

  it('makes one job of the same request queued twice, before and after it ran', async () => {
    const t = await rig();
    const r = await approved(t.w, toAdmin);
    const q = new BullApplyQueue(t.queue);
    await q.enqueue(r.id);
    await q.enqueue(r.id);
    const counts = await t.queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    t.startWorker();
    await finished(t.queue, r.id);
    await q.enqueue(r.id);
    await new Promise((res) => setTimeout(res, 200));
    expect(t.runs()).toBe(1);
    expect(await t.queue.getJobCounts('wait', 'active', 'delayed', 'completed')).toMatchObject({ wait: 0, active: 0, delayed: 0, completed: 1 });
    expect(await t.w.historyOf(ACTIVE)).toHaveLength(1);
  });

  it('refuses to queue something that is not a request id', async () => {
    const t = await rig();
    await expect(new BullApplyQueue(t.queue).enqueue('lxt_not-a-request-id')).rejects.toThrow();
    expect(await t.queue.count()).toBe(0);
  });
});

describe('the apply queue defaults', () => {
  it('retries six times with exponential backoff and keeps finished jobs for duplicate detection', async () => {
    const t = await rig();
    expect(t.queue.defaultJobOptions).toMatchObject({
      attempts: 6, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 24 * 3600 },
    });
  });
});
