/**
 * Fault: Redis goes away while approvers click. The real Keywarden (Bolt, HTTP server, BullMQ
 * workers) runs against a redis-server this test kills and starts again, empty, on the same port.
 * Approvals are recorded in the store first, the approver is told they are accepted, and the
 * outbox sweep queues them once Redis is back: each change applied once, each requester told once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiToken } from '../../src/domain/api-token.js';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, APPROVER1, APPROVER2, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { startRedisProcess, type RedisProcess } from '../helpers/redis-process.js';
import { recordFigures } from './figures.js';
import { ask, dmsAbout, logLines, waitForStatus, waitUntil } from './flow.js';

const clock = new TestClock();
let redis: RedisProcess;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedisProcess();
  t = await startTestApp({ env: { REDIS_URL: redis.url }, options: { clock, sweepEveryMs: 300 } });
});
afterAll(async () => {
  await t?.stop();
  await redis?.stop();
});

async function permissionOf(email: string) {
  const user = await t.store.users.findByEmail(email);
  return (await t.store.permissions.find(WS_ID, user!.id))!;
}

describe('Redis down when an approval is clicked', () => {
  it('records the approvals, tells the approvers, and applies each once when Redis comes back empty', async () => {
    const permissionRequest = await ask(t, 'role jane.roe@meshlab.de ADMIN');
    const inviteRequest = await ask(t, 'invite outage.person@meshlab.de VIEWER');
    const future = new Date(clock.now().getTime() + 60 * 86_400_000).toISOString().slice(0, 10);
    const tokenRequest = await ask(t, `create outage-bot MEMBER ${future} during the outage`, '/techuser');
    const all = [permissionRequest, inviteRequest, tokenRequest];

    await redis.stop();
    const started = Date.now();
    const clicks = await Promise.all(all.map((id) => t.click(ids.APPROVE, id, APPROVER1)));
    // A double click while Redis is away changes nothing more.
    const again = await t.click(ids.APPROVE, permissionRequest, APPROVER2);
    for (const c of clicks) {
      expect(c.status).toBe(200);
      expect(c.ms).toBeLessThan(3000);
      expect(await t.answer(c.responseId)).toMatch(/Approved and recorded\. The queue is unavailable right now, so it will be applied as soon as it is back\./);
    }
    expect(await t.answer(again.responseId)).toMatch(/already approved/);
    const answeredMs = Date.now() - started;
    // The replay guard could not check signatures without Redis: it let the clicks through, and said so.
    expect(logLines(t).some((l) => l.msg === 'redis unavailable; letting requests through unchecked' && l.guard === 'slack replay guard')).toBe(true);

    // Nothing can run while Redis is away; the approvals are in the store.
    await new Promise((r) => setTimeout(r, 700));
    for (const id of all) expect((await t.store.requests.findById(id))!.status).toBe('APPROVED');
    expect((await permissionOf('jane.roe@meshlab.de')).role).toBe('MEMBER');

    // Redis is back, empty: no jobs, no schedules. The sweep takes approvals older than 30 s.
    await redis.start();
    const back = Date.now();
    clock.advance(31_000);
    for (const id of all) await waitForStatus(t, id, 'APPLIED', 30_000);
    const recoveredMs = Date.now() - back;

    expect((await permissionOf('jane.roe@meshlab.de')).role).toBe('ADMIN');
    const invited = await permissionOf('outage.person@meshlab.de');
    expect(invited).toMatchObject({ role: 'VIEWER', status: 'INVITED' });
    const tu = (await t.store.technicalUsers.findByName(WS_ID, 'outage-bot'))!;
    expect(tu.lastRequestId).toBe(tokenRequest);

    // Applied once: one history line per request, one "applied" log line, one DM.
    const jane = await permissionOf('jane.roe@meshlab.de');
    expect((await t.store.history.listBySubject('permission', jane.id, 50)).filter((h) => h.requestId === permissionRequest)).toHaveLength(1);
    expect((await t.store.history.listBySubject('permission', invited.id, 50)).filter((h) => h.requestId === inviteRequest)).toHaveLength(1);
    expect((await t.store.history.listBySubject('technicalUser', tu.id, 50)).filter((h) => h.requestId === tokenRequest)).toHaveLength(1);
    await waitUntil(() => all.every((id) => dmsAbout(t, ADMIN, id).length > 0), 'every requester is told');
    await new Promise((r) => setTimeout(r, 800)); // let any duplicate run show itself
    for (const id of all) {
      expect(dmsAbout(t, ADMIN, id), id).toHaveLength(1);
      expect(logLines(t).filter((l) => l.msg === 'request applied' && l.requestId === id), id).toHaveLength(1);
    }
    // One token, and it is the one waiting to be revealed.
    const reveal = (await t.store.tokenReveals.findById(tokenRequest))!;
    expect(reveal).not.toBeNull();
    expect(tu.token!.hash).toMatch(/^[0-9a-f]{64}$/);
    const revealed = await t.click(ids.REVEAL, tokenRequest, ADMIN);
    const token = /lxt_[A-Za-z0-9_-]{43}/.exec(await t.answer(revealed.responseId))![0];
    expect(hashApiToken(token)).toBe(tu.token!.hash);

    recordFigures('redis-down', {
      approvalsDuringOutage: all.length, answeredWithinMs: answeredMs, maxAckMs: Math.round(Math.max(...clicks.map((c) => c.ms))),
      recoveredAfterRedisBackMs: recoveredMs, appliedOnce: all.length, lost: 0,
    });
  }, 60_000);

  it('answers the approver within seconds when Redis accepts connections but never replies', async () => {
    const id = await ask(t, 'archive jane.roe@meshlab.de hung redis');
    // A frozen Redis: the socket stays open, nothing answers (SIGSTOP).
    const pid = await redisPid(redis.port);
    process.kill(pid, 'SIGSTOP');
    let click;
    const started = Date.now();
    try {
      click = await t.click(ids.APPROVE, id, APPROVER1);
      expect(click.status).toBe(200);
      expect(click.ms).toBeLessThan(3000);
      expect(await t.answer(click.responseId)).toMatch(/Approved and recorded/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const answeredMs = Date.now() - started;
    expect(answeredMs).toBeLessThan(8000);
    clock.advance(31_000);
    await waitForStatus(t, id, 'APPLIED', 30_000);
    expect((await permissionOf('jane.roe@meshlab.de')).status).toBe('ARCHIVED');
    recordFigures('redis-frozen', { answeredWithinMs: answeredMs, ackMs: Math.round(click!.ms), appliedOnce: 1 });
  }, 60_000);
});

/** The pid of the redis-server listening on `port` (ours: started by redis-process.ts). */
async function redisPid(port: number): Promise<number> {
  const { Redis } = await import('ioredis');
  const c = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1 });
  const info = await c.info('server');
  c.disconnect();
  return Number(/process_id:(\d+)/.exec(info)![1]);
}
