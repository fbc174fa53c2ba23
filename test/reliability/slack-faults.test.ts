/**
 * Fault: the Slack Web API answers 429 with Retry-After, 500, or not at all.
 *
 * 1. The client every message goes through (src/slack/slack-client.ts), against the fake Slack:
 *    short Retry-Afters are waited out, long ones fail at once, 5xx and timeouts are retried a
 *    bounded number of times.
 * 2. The apply job with the real Slack notifier on a real queue: a message that finally cannot be
 *    posted is logged with the request id and recorded on the request (`undelivered`), and the
 *    change itself is neither undone nor repeated.
 */
import { Policies } from '../../src/app/policies.js';
import { noGroups } from '../../src/app/ports/directory.js';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyRequestProcessor } from '../../jobs/apply-request.js';
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { PermissionService } from '../../src/app/permissions.js';
import { RequestService } from '../../src/app/requests.js';
import { createLog } from '../../src/log.js';
import { createApplyQueue } from '../../src/queue/apply-queue.js';
import { APPLY_QUEUE } from '../../src/queue/names.js';
import { SlackNotifier } from '../../src/slack/notifier.js';
import { OutboundDelivery } from '../../src/slack/outbound/delivery.js';
import { UNLIMITED_LANES } from '../../src/slack/outbound/lanes.js';
import { LANES } from '../../src/slack/outbound/messages.js';
import { createOutboundQueue, Outbound } from '../../src/slack/outbound/outbound.js';
import { createSlackClient } from '../../src/slack/slack-client.js';
import { SlackClients } from '../../src/slack/installations/clients.js';
import { ACTIVE, ADMIN, APPROVER1, FakeClock, seededStore, TEAM, WS_ID } from '../app/fixtures.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { LogCapture } from '../helpers/keywarden.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { recordFigures } from './figures.js';
import { waitUntil } from './flow.js';

let slack: FakeSlack;
let redis: TestRedis;
const figures: Record<string, unknown> = {};
beforeAll(async () => {
  [slack, redis] = await Promise.all([FakeSlack.start(), startRedis()]);
});
afterAll(async () => {
  recordFigures('slack-faults', figures);
  await Promise.all([slack?.stop(), redis?.stop()]);
});

const BOUNDS = { timeoutMs: 400, minRetryDelayMs: 20, retries: 2 };
const client = (logs = new LogCapture(), bounds = {}) =>
  createSlackClient({ token: 'xoxb-test', apiUrl: slack.apiUrl, log: createLog('debug', logs), bounds: { ...BOUNDS, ...bounds } });
const posts = (channel: string) => slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);

describe('the Slack Web API client', () => {
  afterEach(() => slack.reset());

  it('waits out a 429 with a short Retry-After, then posts once', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const logs = new LogCapture();
    const started = Date.now();
    await client(logs).chat.postMessage({ channel: 'C429', text: 'hello' });
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(posts('C429').map((c) => Boolean(c.failed))).toEqual([true, false]);
    expect(logs.text).toMatch(/"retryAfter":1.*Slack rate-limited a call/);
    figures.retryAfter1s = { calls: 2, deliveredAfterMs: ms };
  });

  it('fails at once on a Retry-After longer than it will wait, instead of holding every call for an hour', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 3600 });
    const started = Date.now();
    await expect(client().chat.postMessage({ channel: 'C3600', text: 'hello' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 3600 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(posts('C3600')).toHaveLength(1);
    // The client is not left paused: the next call goes straight through.
    await client().chat.postMessage({ channel: 'C3600', text: 'next' });
    figures.retryAfter3600s = { failedAfterMs: Date.now() - started, calls: 1 };
  });

  it('gives up on 429s after its own retries', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 0, times: 5 });
    await expect(client().chat.postMessage({ channel: 'C429x', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
    expect(posts('C429x')).toHaveLength(3); // the call and two waits
  });

  it('retries a 500 and succeeds; gives up after its retries when the 500s go on', async () => {
    slack.failNext('chat.postMessage', { status: 500, times: 2 });
    await client().chat.postMessage({ channel: 'C500', text: 'x' });
    expect(posts('C500').map((c) => Boolean(c.failed))).toEqual([true, true, false]);
    slack.failNext('chat.postMessage', { status: 500, times: 10 });
    await expect(client().chat.postMessage({ channel: 'C500b', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_http_error' });
    expect(posts('C500b')).toHaveLength(3);
    figures.http500 = { retriedThenDelivered: true, gaveUpAfterCalls: 3 };
  });

  it('times out a call Slack does not answer, and retries it', async () => {
    slack.failNext('chat.update', { delayMs: 3000 });
    const started = Date.now();
    await client().chat.update({ channel: 'CT', ts: '1.1', text: 'x' });
    const ms = Date.now() - started;
    expect(ms).toBeLessThan(1500);
    expect(slack.callsTo('chat.update')).toHaveLength(2);
    figures.timeout = { timeoutMs: BOUNDS.timeoutMs, deliveredAfterMs: ms, calls: 2 };
  });

  it("posts JSON with the bot token, and fails at once on Slack's ok: false or a 4xx, without retrying", async () => {
    await client().chat.postMessage({ channel: 'CJSON', text: 'héllo', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] });
    expect(posts('CJSON')).toEqual([expect.objectContaining({ token: 'xoxb-test', args: { channel: 'CJSON', text: 'héllo', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] } })]);
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(client().chat.postMessage({ channel: 'CGONE', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_platform_error', data: { ok: false, error: 'channel_not_found' }, message: 'chat.postMessage: channel_not_found',
    });
    slack.failNext('chat.update', { status: 404 });
    await expect(client().chat.update({ channel: 'C404', ts: '1.1', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 404 });
    expect(posts('CGONE')).toHaveLength(1);
    expect(slack.callsTo('chat.update')).toHaveLength(1);
  });

  it('retries when Slack cannot be reached, then fails with the reason', async () => {
    const started = Date.now();
    const unreachable = createSlackClient({ token: 'xoxb-test', apiUrl: 'http://127.0.0.1:9/api/', log: createLog('silent'), bounds: BOUNDS });
    await expect(unreachable.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_request_error', message: expect.stringMatching(/ECONNREFUSED/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(BOUNDS.minRetryDelayMs * 3); // waited 20 + 40 ms between the three tries
  });

  it('has production bounds: a 10 s timeout, 3 retries, and Retry-After waited up to 30 s', async () => {
    const { SLACK_CLIENT_BOUNDS } = await import('../../src/slack/slack-client.js');
    expect(SLACK_CLIENT_BOUNDS).toEqual({ timeoutMs: 10_000, retries: 3, minRetryDelayMs: 500, maxRetryAfterSeconds: 30, rateLimitRetries: 2 });
  });
});

describe('the apply job when Slack will not take a message', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    slack.reset();
  });

  /** The real RequestService, SlackNotifier and apply processor on a queue with quick retries. */
  async function rig() {
    const store = await seededStore();
    const ws = (await store.workspaces.findById(WS_ID))!;
    const clock = new FakeClock();
    const logs = new LogCapture();
    const log = createLog('debug', logs);
    const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
    const producer = new Redis(redis.url, { maxRetriesPerRequest: null });
    // Unpaced lanes: every message is sent at once, so a failure reaches the apply job as before.
    const notifier = new SlackNotifier(new Outbound({
      queues: Object.fromEntries(LANES.map((l) => [l, createOutboundQueue(producer, l, prefix)])) as any,
      delivery: new OutboundDelivery({ clients: new SlackClients(client(logs), null), store, clock, log, revealBy: async () => null, policies: new Policies(noGroups) }),
      log, limits: UNLIMITED_LANES,
    }));
    const consumer = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue: Queue = createApplyQueue(producer, prefix);
    const requests = new RequestService({
      store, clock, log, notifier, queue: { enqueue: (id) => queue.add('apply', { requestId: id }, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 20 } }).then(() => undefined) },
      handlers: { permission: new PermissionRequests(new PermissionService(store, clock)) },
    });
    let runs = 0;
    const process = applyRequestProcessor(requests, log);
    const worker = new Worker(APPLY_QUEUE, async (job: Job) => {
      runs++;
      await process(job);
    }, { connection: consumer, prefix });
    worker.on('error', () => undefined);
    closers.push(async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      producer.disconnect();
      consumer.disconnect();
    });
    const settled = async (id: string) => {
      await waitUntil(async () => ['completed', 'failed'].includes(await (await queue.getJob(id))?.getState() ?? ''), `job ${id} settles`, 20_000);
      return (await store.requests.findById(id))!;
    };
    const historyOf = async () => {
      const user = await store.users.findByEmail(ACTIVE);
      const p = (await store.permissions.find(WS_ID, user!.id))!;
      return { p, lines: await store.history.listBySubject('permission', p.id, 50) };
    };
    const submit = async () =>
      (await requests.submit({ workspace: ws, requester: ADMIN, request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }, reason: null })).id;
    const decide = (id: string, verdict: 'approve' | 'reject' = 'approve') => requests.decide({ requestId: id, actor: APPROVER1, teamId: TEAM, verdict });
    const approved = async () => {
      const id = await submit();
      await decide(id);
      return id;
    };
    return { store, logs, runs: () => runs, settled, historyOf, submit, decide, approved };
  }

  it('a DM that can never be posted: the change stands once, and the lost DM is logged and recorded on the request', async () => {
    const t = await rig();
    const id = await t.submit();
    slack.failNext('chat.postMessage', { status: 500, times: 1000 });
    await t.decide(id);
    const r = await t.settled(id);
    expect(r.status).toBe('APPLIED');
    expect(t.runs()).toBe(3); // every attempt tried the DM again; none applied again
    const { p, lines } = await t.historyOf();
    expect(p.role).toBe('ADMIN');
    expect(lines.filter((h) => h.requestId === id)).toHaveLength(1);
    expect(r.notifiedAt).toBeNull();
    expect(r.undelivered).toEqual([{ message: 'requester-dm', status: 'APPLIED', error: expect.stringMatching(/could not be told/), at: expect.any(Date) }]);
    expect(t.logs.text).toContain(`"requestId":"${id}","message":"requester-dm","status":"APPLIED"`);
    expect(t.logs.text).toMatch(/message undelivered; recorded on the request/);
    // The approval message itself was rewritten: the channel knows.
    expect(slack.callsTo('chat.update').some((c) => !c.failed && JSON.stringify(c.args.blocks).includes('Applied'))).toBe(true);
    figures.dmNeverPosted = { attempts: 3, appliedOnce: true, recordedOnRequest: true };
  });

  it('an approval message that cannot be rewritten: recorded, and the requester is still told', async () => {
    const t = await rig();
    slack.failNext('chat.update', { status: 500, times: 1000 });
    const id = await t.approved();
    const r = await t.settled(id);
    expect(r.status).toBe('APPLIED');
    expect(r.undelivered?.map((u) => [u.message, u.status])).toEqual([['approval-message', 'APPROVED'], ['approval-message', 'APPLIED']]);
    expect(posts(ADMIN).filter((c) => !c.failed)).toHaveLength(1);
    expect((await t.historyOf()).lines.filter((h) => h.requestId === id)).toHaveLength(1);
  });

  it('a rejection DM that cannot be posted is recorded at once (no job will try again)', async () => {
    const t = await rig();
    const id = await t.submit();
    slack.failNext('chat.postMessage', { status: 500, times: 1000 });
    await t.decide(id, 'reject');
    const r = (await t.store.requests.findById(id))!;
    expect(r.status).toBe('REJECTED');
    expect(r.undelivered).toEqual([{ message: 'requester-dm', status: 'REJECTED', error: expect.any(String), at: expect.any(Date) }]);
    expect(t.logs.text).toContain(`"requestId":"${id}","message":"requester-dm","status":"REJECTED"`);
    expect((await t.historyOf()).p.role).toBe('MEMBER');
  });

  it('a DM rate-limited with a short Retry-After arrives once, after the wait', async () => {
    const t = await rig();
    const id = await t.submit();
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await t.decide(id);
    const r = await t.settled(id);
    expect(r.status).toBe('APPLIED');
    await waitUntil(() => posts(ADMIN).some((c) => !c.failed), 'the DM arrives');
    expect(posts(ADMIN).filter((c) => !c.failed)).toHaveLength(1);
    expect(r.undelivered ?? []).toEqual([]);
  });
});
