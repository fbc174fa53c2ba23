/**
 * Slack at its real rate limits (scaled ten times faster so a burst takes seconds, not minutes):
 * many requests and approvals at once against a fake Slack that answers 429 with Retry-After.
 * Every command is answered at once; every approval message, rewrite and DM is sent exactly once,
 * in order; every approved change is applied once; nothing waits for the 5-minute sweep, and a
 * long Retry-After only makes messages wait (the lane pauses for everyone, no lockstep retries).
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
const uptime = () => loadavg().map((x) => x.toFixed(1)).join(' ');
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { OUTBOUND_QUEUES } from '../../src/queue/names.js';
import { ids } from '../../src/slack/ids.js';
import type { LaneLimits } from '../../src/slack/outbound/lanes.js';
import { TestClock } from '../helpers/clock.js';
import type { SlackCall } from '../helpers/fake-slack.js';
import type { SlackLimits } from '../helpers/fake-slack-limits.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, SIGNING_SECRET, startTestApp, WS_ID, type Sent, type TestApp } from '../helpers/keywarden.js';
import { appHomeOpenedBody, homeActionBody, postSigned } from '../helpers/slack-requests.js';
import { recordFigures } from './figures.js';
import { dmsAbout, logLines, waitUntil } from './flow.js';

/** Slack's limits, ten times faster: one message per 100 ms per channel after 3, Tier 3 at 500 a minute. */
const FAKE: SlackLimits = {
  postMessagePerChannel: { burst: 3, perMinute: 600 },
  methods: { 'chat.update': { burst: 5, perMinute: 500 }, 'views.publish': { burst: 10, perMinute: 1000 } },
};
/** Keywarden's pacing for that Slack (the production one, ten times faster). */
const LANES: LaneLimits = {
  postPerChannel: { burst: 2, intervalMs: 102 },
  postPerTeam: { burst: 5, intervalMs: 22 },
  methods: { 'chat.update': { burst: 3, intervalMs: 125 }, 'views.publish': { burst: 5, intervalMs: 62 } },
};

/**
 * The most calls of one limit key Slack may refuse before the first 429 is back: those sent in
 * the channel's burst and the next slot or two while the answer was on its way (as on main, whose
 * lanes had a burst of 3: burst + 1).
 */
const IN_FLIGHT = 4;

let t: TestApp | undefined;
const queues: Queue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  await t?.stop();
  t = undefined;
});

async function start(fake: SlackLimits = FAKE) {
  const clock = new TestClock();
  const queuePrefix = `kwtest-${randomUUID().slice(0, 8)}`;
  t = await startTestApp({
    slack: { limits: fake }, env: { LOG_LEVEL: 'info' },
    options: { clock, queuePrefix, slackLanes: LANES, outboundWorker: { maximumRateLimitDelayMs: 100, watchEveryMs: 200, backlogWarnSeconds: 1 } },
  });
  const lane = (name: keyof typeof OUTBOUND_QUEUES) => {
    const q = new Queue(OUTBOUND_QUEUES[name], { connection: { url: t!.redis.url }, prefix: queuePrefix });
    queues.push(q);
    return q;
  };
  /** A Retry-After has run out: Slack takes calls again, and the lanes' pauses end. */
  const limitEnds = async () => {
    t!.slack.limiter!.lift();
    // From here on Slack answers as usual: a 429 caused by timing jitter asks for the real wait.
    t!.slack.limiter!.retryAfterSeconds = undefined;
    // The pauses Keywarden keeps in Redis end too (pacer.ts: one hash per limit key).
    const redis = new Redis(t!.redis.url);
    try {
      const keys = await redis.keys(`${queuePrefix}:pace:*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  };
  return { t, clock, lane, limitEnds };
}

/** `n` admins' requests at once, each a different invitation; returns the answers and request ids. */
async function burstOfRequests(app: TestApp, n: number, tag: string) {
  const sent = await Promise.all(Array.from({ length: n }, (_, i) => app.command(i % 2 ? ADMIN : ADMIN2, `invite ${tag}-${i}@meshlab.de VIEWER`)));
  const answers = await Promise.all(sent.map((s) => app.answer(s.responseId)));
  for (const a of answers) expect(a).toMatch(/was sent to <#CAPPROVALS> for approval/);
  const pending = await app.store.requests.listByWorkspace(WS_ID, { status: 'PENDING', limit: 500 });
  const ids = pending.filter((r) => 'email' in r.params && r.params.email.startsWith(`${tag}-`)).map((r) => r.id);
  expect(ids).toHaveLength(n);
  return { sent, answers, ids };
}

const approvalPosts = (app: TestApp, id: string) =>
  app.slack.delivered('chat.postMessage', (c) => c.args.channel === APPROVALS && !c.args.thread_ts && JSON.stringify(c.args.blocks ?? []).includes(id));

/** The rewrites Slack took of the approval message of a request (found by where it was posted). */
async function rewritesOf(app: TestApp, id: string): Promise<SlackCall[]> {
  const ts = (await app.store.requests.findById(id))?.slack?.ts;
  return ts ? app.slack.delivered('chat.update', (c) => c.args.ts === ts) : [];
}

async function allShow(app: TestApp, requestIds: string[], final: RegExp): Promise<boolean> {
  for (const id of requestIds) if (!final.test(JSON.stringify((await rewritesOf(app, id)).at(-1)?.args.blocks ?? ''))) return false;
  return true;
}

/** Each request's approval message was posted once, and before any rewrite of it; the last rewrite shows `final`. */
async function expectPostedOnceThenRewritten(app: TestApp, requestIds: string[], final?: RegExp) {
  for (const id of requestIds) {
    const posts = approvalPosts(app, id);
    expect(posts, `approval message of ${id}`).toHaveLength(1);
    if (!final) continue;
    const rewrites = await rewritesOf(app, id);
    expect(rewrites.length, `rewrites of ${id}`).toBeGreaterThan(0);
    for (const r of rewrites) expect(app.slack.calls.indexOf(r)).toBeGreaterThan(app.slack.calls.indexOf(posts[0]!));
    expect(JSON.stringify(rewrites.at(-1)!.args.blocks)).toMatch(final);
  }
}

async function approveAll(app: TestApp, requestIds: string[]) {
  const clicks = await Promise.all(requestIds.map((id) => app.click(ids.APPROVE, id, APPROVER1)));
  for (const c of clicks) expect(c.ms).toBeLessThan(3000);
  return clicks;
}

async function waitAllApplied(app: TestApp, requestIds: string[], ms = 30_000) {
  await waitUntil(async () => {
    for (const id of requestIds) if ((await app.store.requests.findById(id))?.status !== 'APPLIED') return false;
    return true;
  }, 'every request is applied', ms);
}

function expectAppliedOnce(app: TestApp, requestIds: string[]) {
  const applied = logLines(app).filter((l) => l.msg === 'request applied');
  for (const id of requestIds) expect(applied.filter((l) => l.requestId === id), `applied ${id}`).toHaveLength(1);
}

const acks = (sent: Sent[]) => Math.max(...sent.map((s) => s.ms));
const limitedCalls = (app: TestApp, method: string) => app.slack.calls.filter((c: SlackCall) => c.method === method && c.limited !== undefined).length;

describe('Slack at its rate limits', () => {
  it('20 requests, then 20 approvals, at once: each message sent once and in order, each change applied once', async () => {
    const { t: app } = await start();
    const n = 20;
    const started = Date.now();
    const { sent, answers, ids: requestIds } = await burstOfRequests(app, n, 'burst');
    expect(acks(sent)).toBeLessThan(3000);
    // Those behind the burst are told when their message will appear.
    expect(answers.filter((a) => /it will appear in <#CAPPROVALS> in about \d+ seconds?/.test(a)).length).toBeGreaterThan(0);
    await waitUntil(() => requestIds.every((id) => approvalPosts(app, id).length > 0), 'every approval message is posted', 15_000);
    const postedMs = Date.now() - started;
    // Where each message is gets recorded once Slack has answered the post, a moment after Slack
    // has it: waited for, not read at once (reading at once raced the last post's answer).
    await waitUntil(async () => {
      for (const id of requestIds) if (!(await app.store.requests.findById(id))?.slack) return false;
      return true;
    }, 'where every approval message is, recorded', 15_000);

    const approving = Date.now();
    await approveAll(app, requestIds);
    await waitAllApplied(app, requestIds);
    await waitUntil(() => requestIds.every((id) => dmsAbout(app, ADMIN, id).length + dmsAbout(app, ADMIN2, id).length > 0), 'every requester is told', 15_000);
    await waitUntil(() => allShow(app, requestIds, /Applied/), 'every approval message shows Applied', 15_000);
    const doneMs = Date.now() - approving;
    await new Promise((r) => setTimeout(r, 300)); // anything sent twice would show up by now
    await expectPostedOnceThenRewritten(app, requestIds, /Applied/);
    expectAppliedOnce(app, requestIds);
    for (const id of requestIds) expect(dmsAbout(app, ADMIN, id).length + dmsAbout(app, ADMIN2, id).length, `DMs about ${id}`).toBe(1);
    // Paced under the limits, Slack hardly had to refuse anything.
    const limited = limitedCalls(app, 'chat.postMessage') + limitedCalls(app, 'chat.update');
    if (limited > 4) console.log('refused', JSON.stringify([...app.slack.limiter!.limitedByKey]), uptime());
    expect(limited).toBeLessThanOrEqual(4);
    recordFigures('slack-limits-burst', { requests: n, ackMaxMs: acks(sent), allPostedMs: postedMs, allAppliedRewrittenToldMs: doneMs, limitedCalls: limited, byKey: Object.fromEntries(app.slack.limiter!.limitedByKey) });
  }, 60_000);

  for (const retryAfter of [1, 30]) {
    it(`a Retry-After of ${retryAfter} s pauses the channel: no lockstep retries, then each message once, in order`, async () => {
      // One message a channel at once, then 429 with this Retry-After.
      const { t: app, limitEnds } = await start({ ...FAKE, postMessagePerChannel: { burst: 1, perMinute: 600 }, retryAfterSeconds: retryAfter });
      const started = Date.now();
      const { sent, ids: requestIds } = await burstOfRequests(app, 10, `ra${retryAfter}`);
      expect(acks(sent)).toBeLessThan(3000);
      await waitUntil(() => limitedCalls(app, 'chat.postMessage') > 0, 'Slack limits the channel');
      // The pause holds every caller: over the next second, nothing more reaches Slack's channel.
      await new Promise((r) => setTimeout(r, Math.min(retryAfter * 1000 - 200, 800)));
      const during = app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === APPROVALS).length;
      // Refused: only calls already on their way when the first 429 came back, never a retry loop.
      const refused = app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.limited !== undefined).map((c) => c.at);
      expect(refused.length).toBeLessThanOrEqual(IN_FLIGHT);
      expect(Math.max(...refused) - Math.min(...refused)).toBeLessThan(500);
      const ready = await fetch(`${app.kw.url}/readyz`);
      expect(ready.status).toBe(200); // Slack limiting is not an outage
      const metrics = await (await fetch(`${app.kw.url}/metrics`)).text();
      expect(metrics).toMatch(/keywarden_slack_limited_total\{method="chat.postMessage"\} [1-9]/);
      expect(metrics).toMatch(/keywarden_slack_outbound_backlog\{method="chat.postMessage"\} [1-9]/);
      if (retryAfter > 1) {
        expect(app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === APPROVALS)).toHaveLength(during);
        await limitEnds(); // instead of waiting the 30 s out
      }
      await waitUntil(() => requestIds.every((id) => approvalPosts(app, id).length > 0), 'every approval message is posted', 15_000);
      const postedMs = Date.now() - started;
      await approveAll(app, requestIds);
      await waitAllApplied(app, requestIds);
      await waitUntil(() => requestIds.every((id) => dmsAbout(app, ADMIN, id).length + dmsAbout(app, ADMIN2, id).length > 0), 'every requester is told', 20_000);
      await waitUntil(() => allShow(app, requestIds, /Applied/), 'every approval message shows Applied', 20_000);
      await new Promise((r) => setTimeout(r, 300));
      await expectPostedOnceThenRewritten(app, requestIds, /Applied/);
      expectAppliedOnce(app, requestIds);
      for (const id of requestIds) expect(dmsAbout(app, ADMIN, id).length + dmsAbout(app, ADMIN2, id).length).toBe(1);
      recordFigures(`slack-limits-retry-after-${retryAfter}s`, { requests: 10, ackMaxMs: acks(sent), allPostedMs: postedMs, limitedPosts: limitedCalls(app, 'chat.postMessage') });
    }, 60_000);
  }

  it('a Retry-After of an hour: changes are applied, messages wait (logged, counted), none lost or sent twice, not even by the sweep', async () => {
    const { t: app, clock, limitEnds } = await start();
    const { ids: requestIds } = await burstOfRequests(app, 8, 'hour');
    await waitUntil(() => requestIds.every((id) => approvalPosts(app, id).length > 0), 'every approval message is posted', 15_000);
    app.slack.limiter!.block('chat.update', 3600);
    app.slack.limiter!.block('chat.postMessage', 3600);
    await approveAll(app, requestIds);
    // The changes do not wait for Slack.
    await waitAllApplied(app, requestIds);
    expectAppliedOnce(app, requestIds);
    // Two more requests arrive while Slack refuses everything: they are stored and wait their turn.
    const late = await Promise.all([0, 1].map((i) => app.command(ADMIN, `invite hour-late-${i}@meshlab.de VIEWER`)));
    for (const s of late) expect(await app.answer(s.responseId)).toMatch(/was sent to <#CAPPROVALS> for approval/);
    const lateIds = (await app.store.requests.listByWorkspace(WS_ID, { status: 'PENDING', limit: 50 })).filter((r) => 'email' in r.params && r.params.email.startsWith('hour-late-')).map((r) => r.id);
    expect(lateIds).toHaveLength(2);
    await waitUntil(() => logLines(app).some((l) => /waited over a minute/.test(l.msg)), 'the log says messages are waiting', 10_000);
    // Past the unposted sweep's 5 minutes: it must not post what is already waiting its turn.
    clock.advance(6 * 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await fetch(`${app.kw.url}/readyz`)).status).toBe(200);
    const refused = limitedCalls(app, 'chat.postMessage') + limitedCalls(app, 'chat.update');
    // Only the calls already on their way when each limit's first 429 came back (a channel, a
    // requester's DM, the Slack workspace's rewrites); no retry loop.
    const byKey = new Map<string, number>();
    for (const c of app.slack.calls.filter((x) => x.limited !== undefined)) {
      const key = c.method === 'chat.postMessage' ? `${c.method}:${String(c.args.channel)}` : c.method;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    for (const [key, k] of byKey) expect(k, `refused calls of ${key}`).toBeLessThanOrEqual(IN_FLIGHT);
    for (const id of requestIds) expect((await app.store.requests.findById(id))?.undelivered ?? []).toEqual([]);

    await limitEnds();
    await waitUntil(() => [...requestIds, ...lateIds].every((id) => approvalPosts(app, id).length > 0), 'the late requests are posted', 15_000);
    await waitUntil(() => requestIds.every((id) => dmsAbout(app, ADMIN, id).length + dmsAbout(app, ADMIN2, id).length > 0), 'every requester is told', 15_000);
    await waitUntil(() => allShow(app, requestIds, /Applied/), 'every approval message shows Applied', 15_000);
    await new Promise((r) => setTimeout(r, 500));
    await expectPostedOnceThenRewritten(app, requestIds, /Applied/);
    await expectPostedOnceThenRewritten(app, lateIds);
    for (const id of requestIds) expect(dmsAbout(app, ADMIN, id).length + dmsAbout(app, ADMIN2, id).length).toBe(1);
    recordFigures('slack-limits-retry-after-3600s', { requests: 10, refusedCallsDuringTheHour: refused, lost: 0, sentTwice: 0 });
  }, 60_000);

  it('Home tab publishes for one person, while Slack limits them, are coalesced: the latest wins', async () => {
    const { t: app, limitEnds } = await start();
    const { ids: requestIds } = await burstOfRequests(app, 1, 'home');
    await waitUntil(() => approvalPosts(app, requestIds[0]!).length > 0, 'the approval message is posted');
    app.slack.limiter!.block('views.publish', 3600);
    for (let i = 0; i < 6; i++) {
      const opened = await postSigned(app.kw.url!, appHomeOpenedBody({ userId: APPROVER1 }), { secret: SIGNING_SECRET, contentType: 'application/json' });
      expect(opened.status).toBe(200);
    }
    // The last one: a decision from the Home tab, answered on the tab itself.
    const click = await postSigned(app.kw.url!, homeActionBody({ actionId: ids.APPROVE, value: requestIds[0]!, userId: APPROVER1 }), { secret: SIGNING_SECRET });
    expect(click.status).toBe(200);
    await waitUntil(async () => (await app.store.requests.findById(requestIds[0]!))?.status === 'APPLIED', 'the request is applied');
    await new Promise((r) => setTimeout(r, 300));
    const refused = limitedCalls(app, 'views.publish');
    await limitEnds();
    await waitUntil(() => app.slack.delivered('views.publish', (c) => c.args.user_id === APPROVER1).length > 0, 'the Home tab is published');
    await new Promise((r) => setTimeout(r, 500));
    const published = app.slack.delivered('views.publish', (c) => c.args.user_id === APPROVER1);
    expect(published).toHaveLength(1); // seven publishes asked for, one sent
    expect(JSON.stringify(published[0]!.args.view.blocks)).toMatch(/Approved/); // the latest click's answer
    expect(refused).toBeLessThanOrEqual(LANES.methods['views.publish']!.burst + 1);
    recordFigures('slack-limits-home-coalesced', { asked: 7, published: published.length, refusedWhileLimited: refused });
  }, 30_000);
});
