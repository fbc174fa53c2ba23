/**
 * Faults at a grant's end, on a real redis-server with real BullMQ workers running the product's
 * end-grant processor: a worker killed with SIGKILL mid-revert, two workers racing the same
 * revert, a change approved during the grant, and End now at the moment of the revert (the end
 * cut at every call: grant-cut-points.test.ts). Time comes from the world's FakeClock: the grant
 * is given, the clock is moved to its end, and the end is scheduled then (delay 0), as the
 * delayed job of a grant given hours before would fire then. Each time: the final role is right,
 * one history line for the end, one DM.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endGrantProcessor } from '../../jobs/end-grant.js';
import { GrantService } from '../../src/app/grants.js';
import { Codes } from '../../src/domain/errors.js';
import { createLog } from '../../src/log.js';
import { BullGrantTimer, createGrantQueue } from '../../src/queue/grant-timer.js';
import { GRANT_QUEUE } from '../../src/queue/names.js';
import { ACTIVE, ADMIN } from '../app/fixtures.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { approve, crashWorld, type CrashWorld } from './crash-world.js';
import { actions, endLines, granted, HOUR, permissionOf } from './grant-world.js';
import { recordFigures } from './figures.js';
import { waitUntil } from './flow.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A real grant queue for a world: its timer schedules there; workers run the product's processor. */
async function withQueue<T>(w: CrashWorld, run: (q: { queue: Queue; prefix: string; worker(grants?: GrantService, opts?: object): Worker }) => Promise<T>): Promise<T> {
  const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
  const producer = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = createGrantQueue(producer, prefix);
  const workers: Worker[] = [];
  const conns: Redis[] = [producer];
  w.timer.forward = new BullGrantTimer(queue, w.clock);
  try {
    return await run({
      queue, prefix,
      worker(grants = w.grants, opts = {}) {
        const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
        conns.push(connection);
        const worker = new Worker(GRANT_QUEUE, endGrantProcessor(grants, createLog('silent')), { connection, prefix, ...opts });
        worker.on('error', () => undefined);
        workers.push(worker);
        return worker;
      },
    });
  } finally {
    w.timer.forward = null;
    await Promise.all(workers.map((x) => x.close()));
    await queue.obliterate({ force: true });
    await queue.close();
    for (const c of conns) c.disconnect();
  }
}

/** Puts the end job of every grant the fake timer saw on the real queue now (the clock is at the end: delay 0). */
async function scheduleNow(w: CrashWorld, timer: BullGrantTimer) {
  for (const g of w.timer.scheduled) await timer.schedule(g);
}

const jobsOf = async (queue: Queue) => queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);

describe('a grant end job on a real queue', () => {
  it('a worker killed with SIGKILL mid-revert: the job stalls, runs again elsewhere, and finishes the end once', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    w.clock.advance(4 * HOUR);
    // The revert is half made: the role is back, the process dies before the history line and the DM.
    let died = false;
    w.f.rule = (c) => (c.repo === 'history' && c.method === 'append' && !died ? ((died = true), { hang: true }) : undefined);
    void w.grants.expire({ type: 'permission', id: (await permissionOf(w)).id }, id);
    await waitUntil(() => died, 'the first revert reaches its history line');
    w.f.reset();
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });

    await withQueue(w, async ({ queue, prefix, worker }) => {
      // That process held the job: a worker process takes it and is killed while "reverting".
      const child = fork(join(import.meta.dirname, 'fixtures', 'stalling-worker.mjs'), [redis.url, prefix, GRANT_QUEUE], { execArgv: [], stdio: 'ignore' });
      try {
        const started = new Promise<{ started: string }>((resolve) => child.on('message', (m: any) => m.started && resolve(m)));
        await scheduleNow(w, new BullGrantTimer(queue, w.clock));
        const taken = await started;
        const job = (await queue.getJob(taken.started))!;
        expect(await job.getState()).toBe('active');
        child.kill('SIGKILL');
        const killedAt = Date.now();
        worker(w.grants, { stalledInterval: 300, lockDuration: 5000 });
        await waitUntil(async () => (await queue.getJob(taken.started))!.getState().then((s) => s === 'completed'), 'the stalled end job completes', 20_000);
        const done = (await queue.getJob(taken.started))!;
        expect(done.stalledCounter).toBe(1);
        expect(done.returnvalue).toBe('already-ended');
        recordFigures('grant-worker-sigkill', { killedMidRevert: 1, recoveredAfterKillMs: Date.now() - killedAt, ends: 1 });
      } finally {
        child.kill('SIGKILL');
      }
    });
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await endLines(w)).toHaveLength(1);
    expect(w.notifier.grantEnds).toEqual([{ id, end: { how: 'expired' }, revertedTo: 'MEMBER' }]);
  }, 30_000);

  it('two workers racing the same revert (an end job each, for the first end and the extended one) end it once', async () => {
    const w = await crashWorld();
    const id = await granted(w, 60);
    const ext = await approve(w, { kind: 'permission.extend', params: { email: ACTIVE, grantId: id, minutes: 60, grantRole: 'ADMIN' } });
    await w.requests.apply(ext);
    expect(w.timer.scheduled).toHaveLength(2);
    w.clock.advance(2 * HOUR);
    // Each worker is its own process in production: its own GrantService over the shared store.
    const other = new GrantService({ store: w.f.store, clock: w.clock, log: createLog('silent'), notifier: w.notifier, timer: w.timer });
    // Every read and write of the permission is slow, so the two runs overlap at the compare-and-set.
    w.f.rule = (c) => (c.repo === 'permissions' ? { delayMs: 20 } : undefined);
    await withQueue(w, async ({ queue, worker }) => {
      await scheduleNow(w, new BullGrantTimer(queue, w.clock));
      worker(w.grants, { concurrency: 1 });
      worker(other, { concurrency: 1 });
      const swept = w.grants.sweep(); // and the backstop sweep at the same moment
      await waitUntil(async () => (await jobsOf(queue)).filter((j) => j.finishedOn).length === 2, 'both end jobs finish', 15_000);
      const outcomes = (await jobsOf(queue)).map((j) => j.returnvalue as string);
      const sweptEnded = await swept;
      expect(outcomes.filter((o) => o === 'ended').length + sweptEnded, `one end among ${outcomes.join(', ')} and the sweep's ${sweptEnded}`).toBe(1);
      expect(outcomes.every((o) => ['ended', 'already-ended', 'not-active'].includes(o))).toBe(true);
    });
    w.f.reset();
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await endLines(w)).toHaveLength(1);
    expect(w.notifier.grantEnds).toEqual([{ id, end: { how: 'expired' }, revertedTo: 'MEMBER' }]);
  }, 30_000);

  it('a change approved during the grant wins: the end job finds it superseded and reverts nothing', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    w.clock.advance(HOUR);
    const later = await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'VIEWER' } });
    await w.requests.apply(later);
    w.clock.advance(3 * HOUR);
    await withQueue(w, async ({ queue, worker }) => {
      await scheduleNow(w, new BullGrantTimer(queue, w.clock));
      worker();
      await waitUntil(async () => (await jobsOf(queue)).some((j) => j.finishedOn), 'the end job finishes');
      expect((await jobsOf(queue)).map((j) => j.returnvalue)).toEqual(['not-active']);
    });
    expect(await w.grants.sweep()).toBe(0);
    expect(await permissionOf(w)).toMatchObject({ role: 'VIEWER', grant: null });
    const lines = await actions(w);
    expect(lines.filter((a) => a === 'permission.grant_superseded')).toHaveLength(1);
    expect(lines.filter((a) => a === 'permission.grant_ended')).toHaveLength(0);
    expect(w.notifier.grantEnds).toEqual([]);
    // The later change's requester is told once that it was applied; nobody is told of an end.
    expect(w.notifier.told.filter((r) => r.id === later)).toHaveLength(1);
  }, 30_000);

  it('End now and the end job at the same moment: one end, by whoever won, one history line, one DM', async () => {
    const figures = { endNowWon: 0, jobWon: 0 };
    // ms by which the end job is scheduled before End now (negative: after), round by round.
    const headStarts = [0, 10, 20, -10, -30, -100];
    for (const [round, headStart] of headStarts.entries()) {
      const w = await crashWorld();
      const id = await granted(w);
      w.clock.advance(4 * HOUR);
      // Slow permission calls: the two runs read the same version and race at the compare-and-set;
      // which one reads first varies from round to round.
      w.f.rule = (c) => (c.repo === 'permissions' ? { delayMs: 5 + ((c.n * 7 + round * 3) % 15) } : undefined);
      await withQueue(w, async ({ queue, worker }) => {
        worker();
        const pause = () => new Promise((r) => setTimeout(r, Math.abs(headStart)));
        const schedule = () => scheduleNow(w, new BullGrantTimer(queue, w.clock));
        const ending = headStart >= 0
          ? schedule().then(pause).then(() => w.grants.endNow(id, ADMIN))
          : Promise.all([w.grants.endNow(id, ADMIN), pause().then(schedule)]);
        const endNow = await ending.then(() => 'ended', (err: { code?: string }) => err.code);
        await waitUntil(async () => (await jobsOf(queue)).some((j) => j.finishedOn), 'the end job finishes');
        const job = (await jobsOf(queue))[0]!.returnvalue as string;
        w.f.reset();
        expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
        expect(await endLines(w)).toHaveLength(1);
        expect(w.notifier.grantEnds).toHaveLength(1);
        const line = (await w.f.store.history.findById(`${id}:end`))!;
        if (endNow === 'ended') {
          expect(job).toMatch(/^(already-ended|not-active)$/);
          expect(line.actor).toEqual({ type: 'slack', id: ADMIN });
          expect(w.notifier.grantEnds[0]!.end).toEqual({ how: 'ended', by: ADMIN });
          figures.endNowWon++;
        } else {
          expect(endNow).toBe(Codes.GRANT_NOT_ACTIVE);
          expect(job).toBe('ended');
          expect(line.actor).toEqual({ type: 'system' });
          expect(w.notifier.grantEnds[0]!.end).toEqual({ how: 'expired' });
          figures.jobWon++;
        }
      });
    }
    // Both sides of the race were run (End now first by 100 ms cannot lose; the job first mostly wins).
    expect(figures.endNowWon).toBeGreaterThan(0);
    expect(figures.jobWon).toBeGreaterThan(0);
    recordFigures('grant-end-now-race', figures);
  }, 60_000);
});
