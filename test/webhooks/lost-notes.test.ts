/**
 * Request status changes whose note never reached Redis (Redis unreachable at that moment) are
 * still pushed: each change is owed on its request in the same write as the change, and noted
 * later, by the request's next change (before it, so a request's changes stay in order) or by
 * the renote job. A worker killed while it delivers a renoted change loses nothing either.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWebhookWorker } from '../../jobs/webhooks.js';
import { applySeed, Seed } from '../../src/app/seed.js';
import { WebhookDelivery, type Poster } from '../../src/app/webhooks.js';
import { createLog } from '../../src/log.js';
import { redisConnection } from '../../src/queue/connection.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { WebhookEventLog } from '../../src/webhooks/event-log.js';
import { httpPoster } from '../../src/webhooks/http-post.js';
import { NOTE_LOST_AFTER_MS } from '../../src/app/webhooks.js';
import { notingStore, type EventSink } from '../../src/webhooks/noting-store.js';
import { TestClock } from '../helpers/clock.js';
import { testSeed, WS_ID } from '../helpers/keywarden.js';
import { Receiver } from '../helpers/receiver.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { request } from '../store/contract.js';

let redis: TestRedis;
let receiver: Receiver;
beforeAll(async () => {
  [redis, receiver] = await Promise.all([startRedis(), Receiver.start()]);
});
afterAll(async () => {
  await receiver?.stop();
  await redis?.stop();
});

async function waitFor(check: () => boolean | Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('delivers request status changes whose notes were lost, each request\'s in order, through a worker killed mid-delivery', async () => {
  const log = createLog('silent');
  const clock = new TestClock();
  const prefix = `kwlost-${randomUUID().slice(0, 8)}`;
  const seed = testSeed();
  (seed.workspaces[0] as Record<string, unknown>).webhooks = [{ url: receiver.url, secretEnv: 'KEYWARDEN_WEBHOOK_X', events: ['history', 'request'] }];
  const producer = new Redis(redis.url);
  const events = new WebhookEventLog(producer, prefix);
  // Redis "unreachable": every note is refused while `down`, as an XADD to a Redis that is away.
  let down = false;
  const sink: EventSink = { note: (ws, n) => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : events.note(ws, n)) };
  const store = notingStore(createMemoryStore(), () => sink, log, () => clock.now());
  await store.init();
  await applySeed(store, Seed.parse(seed), log);
  const deps = { store, log: events, secret: () => 'whsec-x', notifier: { notifyChannels: async () => undefined }, clock, logger: log };
  await new WebhookDelivery({ ...deps, post: httpPoster(2000) }).startHooks();
  const owedOf = async (id: string) => (await store.requests.findById(id))!.unnoted ?? [];

  // A: PENDING noted; APPROVED lost; APPLIED, half a minute later, notes APPROVED first.
  const a = request({ workspaceId: WS_ID, createdAt: clock.now() });
  await store.requests.insert(a);
  await waitFor(async () => (await owedOf(a.id)).length === 0);
  down = true;
  expect(await store.requests.update(a.id, { status: 'PENDING', version: 1 }, { status: 'APPROVED', decidedBy: 'UAPPR1', decidedAt: clock.now() })).not.toBeNull();
  // The change is owed on the request, written with it: nothing was lost with the note.
  expect((await owedOf(a.id)).map((e) => e.status)).toEqual(['APPROVED']);
  // B: PENDING and APPROVED both lost; nothing changes it after: the renote job finds them.
  const b = request({ workspaceId: WS_ID, createdAt: clock.now() });
  await store.requests.insert(b);
  expect(await store.requests.update(b.id, { status: 'PENDING', version: 1 }, { status: 'APPROVED', decidedBy: 'UAPPR1', decidedAt: clock.now() })).not.toBeNull();
  expect((await owedOf(b.id)).map((e) => e.status)).toEqual(['PENDING', 'APPROVED']);
  down = false;
  clock.advance(NOTE_LOST_AFTER_MS + 1000);
  expect(await store.requests.update(a.id, { status: 'APPROVED', version: 2 }, { status: 'APPLIED', appliedAt: clock.now() })).not.toBeNull();
  await waitFor(async () => (await owedOf(a.id)).length === 0);

  // Worker 1 renotes B's changes and delivers; the receiver takes B's APPROVED, and the worker dies there.
  const real = httpPoster(2000);
  let dying = true;
  const poster: Poster = async (...args) => {
    const res = await real(...args);
    if (dying && String(args[2]['x-keywarden-event-id']) === `request:${b.id}:APPROVED`) await new Promise(() => undefined);
    return res;
  };
  const conn1 = redisConnection(redis.url, 'worker');
  const w1 = startWebhookWorker({ delivery: new WebhookDelivery({ ...deps, post: poster }), connection: conn1, prefix, log, sweepEveryMs: 50, lockDurationMs: 1000 });
  await waitFor(() => receiver.got.some((r) => r.json.id === `request:${b.id}:APPROVED` && r.answered === 200));
  void w1.close();
  conn1.disconnect();
  dying = false;

  const conn2 = redisConnection(redis.url, 'worker');
  const w2 = startWebhookWorker({ delivery: new WebhookDelivery({ ...deps, post: real }), connection: conn2, prefix, log, sweepEveryMs: 50, lockDurationMs: 1000 });
  try {
    const expected = [
      `request:${a.id}:PENDING`, `request:${a.id}:APPROVED`, `request:${a.id}:APPLIED`,
      `request:${b.id}:PENDING`, `request:${b.id}:APPROVED`,
    ];
    await waitFor(() => receiver.taken().length === expected.length && receiver.got.filter((r) => r.json.id === `request:${b.id}:APPROVED`).length === 2);
    // Every change, each request's in the order made; the lost ones with the moment they happened.
    expect(receiver.taken().map((e) => e.id)).toEqual(expected);
    expect(receiver.taken().find((e) => e.id === `request:${b.id}:PENDING`)!.occurredAt).toBe(b.createdAt.toISOString());
    // B's APPROVED was sent again by the second worker, with the same id; nothing else twice.
    expect(receiver.got.map((r) => r.json.id)).toEqual([...expected, `request:${b.id}:APPROVED`]);
    expect(await owedOf(b.id)).toEqual([]);
  } finally {
    await w2.close();
    conn2.disconnect();
    producer.disconnect();
  }
});
