/**
 * A webhook worker dies in the middle of a delivery: the receiver took an event, but the worker
 * never got to note it (its connection to Redis is cut, so its lock lapses, as when the process
 * is killed). Another worker takes the stalled job over and resumes from the hook's position:
 * the event is sent again with the same id, then the rest, in order; nothing is lost.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWebhookWorker } from '../../jobs/webhooks.js';
import { applySeed, Seed } from '../../src/app/seed.js';
import { WebhookDelivery, type Poster } from '../../src/app/webhooks.js';
import { systemClock } from '../../src/app/ports.js';
import { createLog } from '../../src/log.js';
import { redisConnection } from '../../src/queue/connection.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { WebhookEventLog } from '../../src/webhooks/event-log.js';
import { httpPoster } from '../../src/webhooks/http-post.js';
import { notingStore } from '../../src/webhooks/noting-store.js';
import { testSeed, WS_ID } from '../helpers/keywarden.js';
import { Receiver } from '../helpers/receiver.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let receiver: Receiver;
beforeAll(async () => {
  [redis, receiver] = await Promise.all([startRedis(), Receiver.start()]);
});
afterAll(async () => {
  await receiver?.stop();
  await redis?.stop();
});

async function waitFor(check: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('resumes from the hook\'s position after a worker is killed mid-delivery: in order, none lost', async () => {
  const log = createLog('silent');
  const prefix = `kwhooks-${randomUUID().slice(0, 8)}`;
  const seed = testSeed();
  (seed.workspaces[0] as Record<string, unknown>).webhooks = [{ url: receiver.url, secretEnv: 'KEYWARDEN_WEBHOOK_X', events: ['history', 'request'] }];
  const producer = new Redis(redis.url);
  const events = new WebhookEventLog(producer, prefix);
  const store = notingStore(createMemoryStore(), () => events, log, () => systemClock.now());
  await store.init();
  await applySeed(store, Seed.parse(seed), log);
  const deps = { store, log: events, secret: () => 'whsec-x', notifier: { notifyChannels: async () => undefined }, clock: systemClock, logger: log };
  const real = httpPoster(2000);
  let calls = 0;
  // Worker A: the third POST reaches the receiver and is answered, and then A never returns.
  const dying: Poster = async (...args) => {
    const res = await real(...args);
    if (++calls === 3) await new Promise(() => undefined);
    return res;
  };
  const a = new WebhookDelivery({ ...deps, post: dying });
  await a.startHooks();
  for (let i = 1; i <= 6; i++) {
    await store.history.append({
      id: `line-${i}`, workspaceId: WS_ID, subject: { type: 'permission', id: 'p-1', label: 'jane@x.de' }, action: `a${i}`,
      actor: { type: 'system' }, requestId: null, approvers: [], before: null, after: null, at: new Date(),
    });
  }
  const connA = redisConnection(redis.url, 'worker');
  const workerA = startWebhookWorker({ delivery: a, connection: connA, prefix, log, sweepEveryMs: 50, lockDurationMs: 1000 });
  await waitFor(() => receiver.got.length === 3 && receiver.got[2]!.answered === 200);
  // Killed: no more lock renewals, no more sweeps. (Its hung delivery is left to hang.)
  void workerA.close();
  connA.disconnect();

  const connB = redisConnection(redis.url, 'worker');
  const workerB = startWebhookWorker({ delivery: new WebhookDelivery({ ...deps, post: real }), connection: connB, prefix, log, sweepEveryMs: 50, lockDurationMs: 1000 });
  try {
    await waitFor(() => receiver.taken().length === 6);
    expect(receiver.taken().map((e) => e.data.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // The third was sent twice, with the same id: at least once, never lost.
    expect(receiver.got.map((r) => r.json.data.seq)).toEqual([1, 2, 3, 3, 4, 5, 6]);
    expect(new Set(receiver.got.map((r) => r.json.id)).size).toBe(6);
  } finally {
    await workerB.close();
    connB.disconnect();
    producer.disconnect();
  }
});
