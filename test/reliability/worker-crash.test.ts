/**
 * Fault: a worker dies in the middle of a job.
 *
 * 1. For real: a worker process takes an apply job and is killed with SIGKILL while "applying";
 *    its lock lapses, BullMQ sees the job stalled, and another worker runs it: applied once.
 * 2. At every point: the apply of each kind of request is cut at its k-th call to the store or to
 *    Slack, for every k. "Killed" = that call never returns, so nothing after it runs; then the job
 *    runs again (as BullMQ does with a stalled job) and again (a duplicate). "Zombie" = the first run
 *    is only slow there, and the second runs beside it (a lock that lapsed under a live worker).
 *    Each time: the change is there exactly once, one history line, one token (the one waiting to
 *    be revealed), and the requester told once.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRequestProcessor } from '../../jobs/apply-request.js';
import { createLog } from '../../src/log.js';
import { BullApplyQueue, createApplyQueue } from '../../src/queue/apply-queue.js';
import { APPLY_QUEUE } from '../../src/queue/names.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { crashWorld, SCENARIOS, tokenHashesWritten, type CrashWorld, type Scenario } from './crash-world.js';
import { recordFigures } from './figures.js';
import { waitUntil } from './flow.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const DM_KINDS = new Set(['tellRequester']);
const settle = () => new Promise((r) => setTimeout(r, 5));

/** Runs apply until it succeeds (a queue retries a failed job), at most `max` times. */
async function applyUntilDone(w: CrashWorld, id: string, max = 4): Promise<number> {
  for (let run = 1; ; run++) {
    try {
      await w.requests.apply(id);
      return run;
    } catch (err) {
      if (run >= max) throw err;
    }
  }
}

async function assertOnce(s: Scenario, w: CrashWorld, id: string, before: unknown, opts: { dmMayBeLost: boolean }) {
  const r = (await w.f.store.requests.findById(id))!;
  expect(r.status).toBe('APPLIED');
  await s.check(w, id, before);
  const dms = w.notifier.told.filter((x) => x.id === id).length;
  if (opts.dmMayBeLost) expect(dms).toBeLessThanOrEqual(1);
  else expect(dms).toBe(1);
  if (s.name === 'techuser.create' || s.name === 'techuser.rotate') {
    expect(tokenHashesWritten(w.f).size, 'one token per token job').toBe(1);
  }
}

describe('a worker process killed with SIGKILL in the middle of a job', () => {
  it('the job is found stalled, runs again in another worker, and yields one technical user with one token', async () => {
    const w = await crashWorld();
    const s = SCENARIOS.find((x) => x.name === 'techuser.create')!;
    const { id, before } = await s.setup(w);
    w.f.calls.length = 0;
    const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
    const producer = new Redis(redis.url, { maxRetriesPerRequest: null });
    const consumer = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = createApplyQueue(producer, prefix);
    let worker: Worker | undefined;
    const child = fork(join(import.meta.dirname, 'fixtures', 'stalling-worker.mjs'), [redis.url, prefix, APPLY_QUEUE], { execArgv: [], stdio: 'ignore' });
    try {
      const started = new Promise<{ started: string; pid: number }>((resolve) => child.on('message', (m: any) => m.started && resolve(m)));
      await new BullApplyQueue(queue).enqueue(id);
      const taken = await started;
      expect(taken.started).toBe(id);
      expect(await (await queue.getJob(id))!.getState()).toBe('active');

      child.kill('SIGKILL');
      const killedAt = Date.now();
      let runs = 0;
      const process = applyRequestProcessor(w.requests, createLog('silent'));
      worker = new Worker(APPLY_QUEUE, async (job: Job) => {
        runs++;
        await process(job);
      }, { connection: consumer, prefix, stalledInterval: 300, lockDuration: 5000 });
      worker.on('error', () => undefined);
      await waitUntil(async () => (await w.f.store.requests.findById(id))?.status === 'APPLIED', 'the stalled job is applied', 20_000);
      const recoveredMs = Date.now() - killedAt;
      await waitUntil(async () => (await (await queue.getJob(id))!.getState()) === 'completed', 'the job completes');
      const job = (await queue.getJob(id))!;
      expect(job.stalledCounter).toBe(1);
      expect(runs).toBe(1);
      await assertOnce(s, w, id, before, { dmMayBeLost: false });
      recordFigures('worker-sigkill', { killedMidJob: 1, recoveredAfterKillMs: recoveredMs, runsAfterKill: runs, tokens: 1 });
    } finally {
      child.kill('SIGKILL');
      await worker?.close();
      await queue.obliterate({ force: true });
      await queue.close();
      producer.disconnect();
      consumer.disconnect();
    }
  }, 30_000);
});

describe('an apply cut at every call to the store and to Slack', () => {
  const figures: Record<string, { cutPoints: number; killed: number; zombies: number; dmLostWhenCutInsideTheDm: number }> = {};
  afterAll(() => recordFigures('worker-cut-points', { scenarios: figures, total: Object.values(figures).reduce((n, f) => n + f.killed + f.zombies, 0) }));

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: killed at any call, then retried, applies once', async (_name, s) => {
    // How many calls a clean apply makes: each is a place to die.
    const clean = await crashWorld();
    const { id: cleanId, before: cleanBefore } = await s.setup(clean);
    clean.f.calls.length = 0;
    await clean.requests.apply(cleanId);
    const cuts = clean.f.calls.map((c) => `${c.repo}.${c.method}`);
    await assertOnce(s, clean, cleanId, cleanBefore, { dmMayBeLost: false });
    expect(cuts.length).toBeGreaterThan(4);
    const fig = { cutPoints: cuts.length, killed: 0, zombies: 0, dmLostWhenCutInsideTheDm: 0 };
    figures[s.name] = fig;

    for (let k = 1; k <= cuts.length; k++) {
      const w = await crashWorld();
      const { id, before } = await s.setup(w);
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { hang: true } : undefined);
      void w.requests.apply(id).catch(() => undefined); // dies inside call k: never returns
      await waitUntil(() => w.f.calls.length >= k, `the first run reaches call ${k}`, 2000);
      await settle();
      const cut = w.f.calls[k - 1]!;
      w.f.rule = () => undefined;
      await applyUntilDone(w, id);
      await w.requests.apply(id); // a duplicate job after it finished
      const dmCut = cut.repo === 'notifier' && DM_KINDS.has(cut.method);
      try {
        await assertOnce(s, w, id, before, { dmMayBeLost: dmCut });
      } catch (err) {
        throw new Error(`${s.name} killed inside call ${k} (${cut.repo}.${cut.method}): ${(err as Error).message}`);
      }
      if (dmCut && w.notifier.told.length === 0) fig.dmLostWhenCutInsideTheDm++;
      fig.killed++;
    }

    for (let k = 1; k <= cuts.length; k++) {
      const w = await crashWorld();
      const { id, before } = await s.setup(w);
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { delayMs: 30 } : undefined);
      const zombie = w.requests.apply(id).catch(() => undefined);
      await waitUntil(() => w.f.calls.length >= k, `the first run reaches call ${k}`, 2000);
      const cut = w.f.calls[k - 1]!;
      await Promise.all([zombie, applyUntilDone(w, id).catch(() => undefined)]);
      await applyUntilDone(w, id);
      try {
        await assertOnce(s, w, id, before, { dmMayBeLost: false });
      } catch (err) {
        throw new Error(`${s.name} with a second run beside one slow at call ${k} (${cut.repo}.${cut.method}): ${(err as Error).message}`);
      }
      fig.zombies++;
    }
  }, 60_000);
});
