/**
 * Faults at a grant's end, on a real redis-server with real BullMQ workers running the product's
 * end-grant processor: a worker killed with SIGKILL mid-revert, two workers racing the same
 * revert, a change approved during the grant, End now at the moment of the revert, and the end
 * cut at every call to the store and to Slack. Time comes from the world's FakeClock: the grant
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
import { ACTIVE, ADMIN, WS_ID } from '../app/fixtures.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { approve, crashWorld, existingBot, type CrashWorld } from './crash-world.js';
import { recordFigures } from './figures.js';
import { waitUntil } from './flow.js';

const HOUR = 3600_000;
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

async function permissionOf(w: CrashWorld) {
  const user = await w.f.store.users.findByEmail(ACTIVE);
  return (await w.f.store.permissions.find(WS_ID, user!.id))!;
}
const actions = async (w: CrashWorld) => (await w.f.store.history.listBySubject('permission', (await permissionOf(w)).id, 100)).map((h) => h.action);
const endLines = async (w: CrashWorld) => (await actions(w)).filter((a) => a === 'permission.grant_ended');

/** ADMIN for `minutes`, applied; the timer is still the fake one (nothing on Redis yet). */
async function granted(w: CrashWorld, minutes = 240): Promise<string> {
  const id = await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN', minutes } });
  expect(await w.requests.apply(id)).toMatchObject({ status: 'APPLIED' });
  return id;
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
    const ext = await approve(w, { kind: 'permission.extend', params: { email: ACTIVE, grantId: id, minutes: 60 } });
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

describe('a grant end cut at every call to the store and to Slack', () => {
  it('killed at any call, then run again (and again): the end is made once, one history line, one DM', async () => {
    const clean = await crashWorld();
    const cleanId = await granted(clean);
    clean.clock.advance(4 * HOUR);
    const cleanRef = { type: 'permission' as const, id: (await permissionOf(clean)).id };
    clean.f.calls.length = 0;
    expect(await clean.grants.expire(cleanRef, cleanId)).toBe('ended');
    const cuts = clean.f.calls.map((c) => `${c.repo}.${c.method}`);
    expect(cuts.length).toBeGreaterThan(4);
    let dmLost = 0;
    for (let k = 1; k <= cuts.length; k++) {
      const w = await crashWorld();
      const id = await granted(w);
      w.clock.advance(4 * HOUR);
      const ref = { type: 'permission' as const, id: (await permissionOf(w)).id };
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { hang: true } : undefined);
      void w.grants.expire(ref, id).catch(() => undefined);
      await waitUntil(() => w.f.calls.length >= k, `the first run reaches call ${k}`, 2000);
      const cut = w.f.calls[k - 1]!;
      w.f.rule = () => undefined;
      // The job runs again (stalled), a duplicate after it, and the sweep.
      await w.grants.expire(ref, id);
      await w.grants.expire(ref, id);
      expect(await w.grants.sweep()).toBe(0);
      const where = `killed inside call ${k} (${cut.repo}.${cut.method})`;
      expect(await permissionOf(w), where).toMatchObject({ role: 'MEMBER', grant: null });
      expect(await endLines(w), where).toHaveLength(1);
      // Killed inside the DM itself, after its notice was claimed: that one DM may be lost (never two).
      if (cut.repo === 'notifier') {
        expect(w.notifier.grantEnds.length, where).toBeLessThanOrEqual(1);
        if (w.notifier.grantEnds.length === 0) dmLost++;
      } else {
        expect(w.notifier.grantEnds, where).toEqual([{ id, end: { how: 'expired' }, revertedTo: 'MEMBER' }]);
      }
    }
    recordFigures('grant-end-cut-points', { cutPoints: cuts.length, killed: cuts.length, dmLostWhenCutInsideTheDm: dmLost });
  }, 60_000);
});

describe('a change that supersedes a grant, cut at every call', () => {
  const cases: Array<[string, (w: CrashWorld) => Promise<string>, string]> = [
    ['a permanent role change', (w) => approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'VIEWER' } }), 'VIEWER'],
    ['a new grant of another role', (w) => approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'VIEWER', minutes: 600 } }), 'VIEWER'],
  ];
  it.each(cases)('%s killed at any call, then run again: the grant is closed once, and history says so', async (_name, later, role) => {
    const clean = await crashWorld();
    await granted(clean);
    const cleanLater = await later(clean);
    clean.f.calls.length = 0;
    await clean.requests.apply(cleanLater);
    const cuts = clean.f.calls.length;
    for (let k = 1; k <= cuts; k++) {
      const w = await crashWorld();
      const id = await granted(w);
      const change = await later(w);
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { hang: true } : undefined);
      void w.requests.apply(change).catch(() => undefined);
      await waitUntil(() => w.f.calls.length >= k, `the first run reaches call ${k}`, 2000);
      const cut = w.f.calls[k - 1]!;
      w.f.rule = () => undefined;
      await w.requests.apply(change);
      await w.requests.apply(change);
      w.clock.advance(5 * HOUR);
      await w.grants.sweep();
      const where = `killed inside call ${k} (${cut.repo}.${cut.method})`;
      expect((await permissionOf(w)).role, where).toBe(role);
      const lines = await w.f.store.history.listBySubject('permission', (await permissionOf(w)).id, 100);
      expect(lines.filter((l) => l.requestId === id && l.action === 'permission.grant_superseded'), where).toHaveLength(1);
      expect(lines.filter((l) => l.requestId === id && l.action === 'permission.grant_ended'), where).toHaveLength(0);
      expect(w.notifier.grantEnds.filter((e) => e.id === id), where).toHaveLength(0);
    }
  }, 60_000);

  it('a technical user\'s permanent role change killed at any call, then run again: the grant is closed once, and history says so', async () => {
    const setup = async () => {
      const w = await crashWorld();
      const bot = await existingBot(w, 'cut-bot');
      const id = await approve(w, { kind: 'techuser.role', params: { userName: 'cut-bot', role: 'ADMIN', minutes: 60 } });
      await w.requests.apply(id);
      return { w, bot, id, change: await approve(w, { kind: 'techuser.role', params: { userName: 'cut-bot', role: 'VIEWER' } }) };
    };
    const clean = await setup();
    clean.w.f.calls.length = 0;
    await clean.w.requests.apply(clean.change);
    const cuts = clean.w.f.calls.length;
    for (let k = 1; k <= cuts; k++) {
      const { w, bot, id, change } = await setup();
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { hang: true } : undefined);
      void w.requests.apply(change).catch(() => undefined);
      await waitUntil(() => w.f.calls.length >= k, `the first run reaches call ${k}`, 2000);
      const cut = w.f.calls[k - 1]!;
      w.f.rule = () => undefined;
      await w.requests.apply(change);
      w.clock.advance(2 * HOUR);
      await w.grants.sweep();
      const where = `killed inside call ${k} (${cut.repo}.${cut.method})`;
      expect(await w.f.store.technicalUsers.findById(bot.id), where).toMatchObject({ role: 'VIEWER', grant: null });
      const lines = (await w.f.store.history.listBySubject('technicalUser', bot.id, 100)).filter((l) => l.requestId === id);
      expect(lines.map((l) => l.action).sort(), where).toEqual(['techuser.grant_superseded', 'techuser.granted']);
    }
  }, 60_000);
});
