/**
 * Retries last 24 hours: an event the receiver still refuses after that is given up (logged and
 * counted), and the ones after it are sent; before that, the hook waits at the event it could not send.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applySeed, Seed } from '../../src/app/seed.js';
import { DeliveryPending, hooksOf, WebhookDelivery, type Poster } from '../../src/app/webhooks.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { WebhookEventLog } from '../../src/webhooks/event-log.js';
import { notingStore } from '../../src/webhooks/noting-store.js';
import { TestClock } from '../helpers/clock.js';
import { testSeed, WS_ID } from '../helpers/keywarden.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it('waits at an event the receiver refuses, and gives it up after 24 hours, then sends the next', async () => {
  const clock = new TestClock();
  const log = createLog('silent');
  const conn = new Redis(redis.url);
  try {
    const events = new WebhookEventLog(conn, `kwgiveup-${randomUUID().slice(0, 8)}`);
    const store = notingStore(createMemoryStore(), () => events, log, () => clock.now());
    const seed = testSeed();
    (seed.workspaces[0] as Record<string, unknown>).webhooks = [{ url: 'https://siem.example/k', secretEnv: 'KEYWARDEN_WEBHOOK_X', events: ['history'] }];
    await store.init();
    await applySeed(store, Seed.parse(seed), log);
    const sent: number[] = [];
    let answer = 500;
    const post: Poster = async (_url, body) => {
      sent.push(JSON.parse(body).data.seq);
      return { status: sent.length === 1 ? 500 : answer };
    };
    const failures: string[] = [];
    const delivery = new WebhookDelivery({ store, log: events, post, secret: () => 'whsec', notifier: { notifyChannels: async () => undefined }, clock, logger: log, failed: (r) => failures.push(r) });
    await delivery.startHooks();
    const key = hooksOf((await store.workspaces.findById(WS_ID))!)[0]!.key;
    const line = (i: number) => ({
      id: `l${i}`, workspaceId: WS_ID, subject: { type: 'permission' as const, id: 'p', label: 'x@y.z' }, action: 'a',
      actor: { type: 'system' as const }, requestId: null, approvers: [], before: null, after: null, at: clock.now(),
    });
    await store.history.append(line(1));
    await expect(delivery.deliver(key)).rejects.toBeInstanceOf(DeliveryPending);
    clock.advance(23 * 3600_000);
    await store.history.append(line(2));
    answer = 500;
    await expect(delivery.deliver(key)).rejects.toBeInstanceOf(DeliveryPending);
    expect(sent).toEqual([1, 1]);
    clock.advance(2 * 3600_000);
    answer = 200;
    // Line 1 is 25 hours old and refused once more: given up; line 2 (2 hours old) goes out.
    const post2: number[] = [];
    let first = true;
    const d2 = new WebhookDelivery({
      store, log: events, secret: () => 'whsec', notifier: { notifyChannels: async () => undefined }, clock, logger: log, failed: (r) => failures.push(r),
      post: async (_u, body) => {
        post2.push(JSON.parse(body).data.seq);
        const status = first ? 500 : 200;
        first = false;
        return { status };
      },
    });
    expect(await d2.deliver(key)).toBe(2);
    expect(post2).toEqual([1, 2]);
    expect(failures).toEqual(['status', 'status', 'status', 'given-up']);
  } finally {
    conn.disconnect();
  }
});
