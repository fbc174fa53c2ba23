/**
 * The shared count of Slack's limits (src/slack/outbound/pacer.ts) against a real Redis, on an
 * injected clock: bursts then pacing per key, keys independent of each other, a reservation in
 * the future, two processes (two connections) sharing one count, and a 429's pause.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackPacer, type PaceKey } from '../../../src/slack/outbound/pacer.js';
import { paceKeys, SLACK_LANE_LIMITS } from '../../../src/slack/outbound/lanes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';

let redis: TestRedis;
const connections: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await redis.stop();
});

/** A pacer on its own connection (a process of its own), on the clock `now`. */
function pacer(prefix: string, now: () => number): SlackPacer {
  const c = new Redis(redis.url);
  connections.push(c);
  return new SlackPacer(c, prefix, now);
}

const channel = (id: string): PaceKey => ({ id: `post:T1:${id}`, limit: { burst: 3, intervalMs: 1000 } });

describe('SlackPacer', () => {
  it('lets a burst go at once, then one per interval, per key', async () => {
    let now = 1_000_000;
    const p = pacer(randomUUID(), () => now);
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await p.take([channel('C1')], 0));
    expect(taken.map((s) => s.reserved)).toEqual([true, true, true, false, false]);
    // Not reserved: the wait is reported, and reported again (nothing was taken).
    expect(taken[3]!.waitMs).toBe(1000);
    expect(taken[4]!.waitMs).toBe(1000);
    // Another channel has its own burst.
    expect((await p.take([channel('C2')], 0)).reserved).toBe(true);
    now += 1000;
    expect(await p.take([channel('C1')], 0)).toEqual({ reserved: true, waitMs: 0 });
    expect((await p.take([channel('C1')], 0)).reserved).toBe(false);
  });

  it('reserves slots in the future, in turn, shared by every connection', async () => {
    const now = 2_000_000;
    const prefix = randomUUID();
    const [a, b] = [pacer(prefix, () => now), pacer(prefix, () => now)];
    const waits = [];
    for (let i = 0; i < 6; i++) waits.push((await (i % 2 ? a : b).take([channel('C1')], 60_000)).waitMs);
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 3000]);
    // A peek reports the next free slot and takes nothing.
    expect(await a.take([channel('C1')], -1)).toEqual({ reserved: false, waitMs: 4000 });
    expect(await b.take([channel('C1')], -1)).toEqual({ reserved: false, waitMs: 4000 });
  });

  it('a call counts against all its keys: the Slack workspace cap holds many channels back', async () => {
    const now = 3_000_000;
    const p = pacer(randomUUID(), () => now);
    const limits = { ...SLACK_LANE_LIMITS, postPerTeam: { burst: 2, intervalMs: 500 } };
    const keys = (c: string) => paceKeys(limits, { method: 'chat.postMessage', teamId: 'T1', channel: c });
    const waits = [];
    for (const c of ['C1', 'C2', 'C3', 'C4']) waits.push((await p.take(keys(c), 60_000)).waitMs);
    expect(waits).toEqual([0, 0, 500, 1000]);
    // Another Slack workspace is not held back.
    expect((await p.take(paceKeys(limits, { method: 'chat.postMessage', teamId: 'T2', channel: 'C1' }), 0)).reserved).toBe(true);
  });

  it('a key reopened after a Retry-After sends one call, then one per interval, not its whole burst (issue 20)', async () => {
    let now = 4_000_000;
    const p = pacer(randomUUID(), () => now);
    for (let i = 0; i < 3; i++) await p.take([channel('C1')], 0);
    await p.pause(channel('C1'), 30_000);
    // Paused: nothing before the Retry-After is over, and other keys go on.
    now += 29_000;
    expect(await p.take([channel('C1')], 0)).toEqual({ reserved: false, waitMs: 1000 });
    expect((await p.take([channel('C9')], 0)).reserved).toBe(true);
    now += 1000;
    const reopened = [];
    for (let i = 0; i < 3; i++) reopened.push(await p.take([channel('C1')], 0));
    expect(reopened.map((s) => s.reserved)).toEqual([true, false, false]);
    now += 1000;
    expect((await p.take([channel('C1')], 0)).reserved).toBe(true);
  });

  it('a slot reserved before a pause is given up; one reserved after it is kept', async () => {
    let now = 5_000_000;
    const p = pacer(randomUUID(), () => now);
    for (let i = 0; i < 3; i++) await p.take([channel('C1')], 0);
    const early = await p.take([channel('C1')], 60_000); // at +1 s
    expect(early).toEqual({ reserved: true, waitMs: 1000 });
    await p.pause(channel('C1'), 5000);
    now += 1000;
    // The held slot fell inside the pause: a new one is reserved, at the pause's end.
    expect(await p.take([channel('C1')], 60_000, now)).toEqual({ reserved: true, waitMs: 4000 });
    const after = now + 4000;
    now += 4000;
    expect(await p.take([channel('C1')], 60_000, after)).toEqual({ reserved: true, waitMs: 0 });
  });

  it('keys expire once idle: many channels leave nothing behind', async () => {
    const prefix = randomUUID();
    const p = pacer(prefix, Date.now);
    for (let i = 0; i < 50; i++) await p.take([channel(`C${i}`)], 0);
    const c = connections.at(-1)!;
    const ttls = await Promise.all((await c.keys(`${prefix}:pace:*`)).map((k) => c.pttl(k)));
    expect(ttls).toHaveLength(50);
    for (const t of ttls) expect(t).toBeGreaterThan(0);
    for (const t of ttls) expect(t).toBeLessThanOrEqual(2000);
  });
});
