/**
 * Finding 8 of the second review: an apply job that used all its attempts while the store was
 * down (so it could not mark its request FAILED either) left the request APPROVED for a week: the
 * failed job's id is kept 7 days, and the outbox sweep's add() under that id did nothing. The real
 * app, its BullMQ worker and outbox sweep, a store that fails every call for a while.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLY_QUEUE } from '../../src/queue/names.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { TestClock } from '../helpers/clock.js';
import { faultyStore, type FaultyStore } from '../helpers/faulty-store.js';
import { APPROVER1, startTestApp, type TestApp } from '../helpers/keywarden.js';
import { ask, dmsAbout, waitForStatus, waitUntil } from './flow.js';

const PREFIX = 'kwtest-requeue';
let t: TestApp;
let f: FaultyStore;
let queue: Queue;
const clock = new TestClock();
beforeAll(async () => {
  f = faultyStore(createMemoryStore());
  t = await startTestApp({ store: f.store, options: { clock, queuePrefix: PREFIX } });
  queue = new Queue(APPLY_QUEUE, { connection: { url: t.redis.url }, prefix: PREFIX });
});
afterAll(async () => {
  await queue?.close();
  await t?.stop();
});

describe('an apply job that failed for good while the store was down', () => {
  it('is run again by the outbox sweep once its request is found still APPROVED, and applies once', async () => {
    const id = await ask(t, 'role jane.roe@meshlab.de ADMIN');
    // Approved while Redis was away (recorded, not queued), as a click then leaves it.
    const r = (await t.store.requests.findById(id))!;
    await t.store.requests.update(id, { status: 'PENDING', version: r.version }, {
      status: 'APPROVED', approvals: [{ by: APPROVER1, at: clock.now() }], decidedBy: APPROVER1, decidedAt: clock.now(),
    });
    // The store goes away; the request's job runs out of attempts (one here, six in production)
    // and cannot mark it FAILED.
    f.rule = () => ({ fail: true });
    await queue.add('apply', { requestId: id }, { jobId: id, attempts: 1 });
    await waitUntil(async () => (await queue.getJobState(id)) === 'failed', 'the job to fail');
    expect(t.logs.text).toContain('giving up on a request after its last attempt');
    f.rule = () => undefined;
    expect((await t.store.requests.findById(id))!.status).toBe('APPROVED');
    // The store is back; the outbox sweep (every 500 ms) takes approvals older than 30 s.
    clock.advance(60_000);
    const done = await waitForStatus(t, id, 'APPLIED', 10_000);
    expect(done.outcome).toMatch(/ADMIN/);
    const line = (await t.store.history.findById(id))!;
    expect((await t.store.history.listBySubject('permission', line.subject.id, 10)).filter((h) => h.requestId === id)).toHaveLength(1);
    await waitUntil(() => dmsAbout(t, r.requester, id).length > 0, 'the DM');
    expect(dmsAbout(t, r.requester, id)).toHaveLength(1);
  });
});
