/**
 * The Workflow Builder step "Request a LeanIX role" through the real Bolt app: signed
 * function_executed events, the person's email from Slack (users.info), the request decided in
 * Slack, and the step completed in the fake Slack (functions.completeSuccess / completeError)
 * when the request ends: applied, rejected, refused at once, expired, and decided and applied by
 * another process while the one that started it is gone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startKeywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { REQUEST_ROLE_STEP } from '../../src/slack/listeners/functions/request-role.js';
import { ids } from '../../src/slack/ids.js';
import { UNLIMITED_LANES } from '../../src/slack/outbound/lanes.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, APPROVALS, APPROVER1, APPROVER2, OUTSIDER, SIGNING_SECRET, startTestApp, testSeed, type TestApp } from '../helpers/keywarden.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';
import { blockActionBody, functionExecutedBody, postSigned } from '../helpers/slack-requests.js';
import { clickReject, submitOpened } from '../helpers/views.js';
import { waitFor as waitUntil } from '../helpers/wait.js';
import type { Store } from '../../src/app/ports.js';

/** The fake Slack's users.info answers <id in lower case>@example.com. */
const PERSON = 'UJANE';
const seed = () => {
  const s = testSeed();
  for (const ws of s.workspaces) ws.users.push({ email: 'ujane@example.com', firstName: 'Jane', lastName: 'Step', role: 'MEMBER', status: 'ACTIVE' } as never);
  return s;
};

const waitFor = (check: () => boolean | Promise<boolean>) => waitUntil('the step\'s condition', async () => await check());

/** The workflow step's request, once its approval message is posted. */
const postedStepRequest = (store: Store) => waitUntil('the step\'s request posted', async () => {
  const all = await store.requests.listByWorkspace((await store.workspaces.findByName('meshlab'))!.id, { limit: 10 });
  const id = all.find((r) => r.origin?.via === 'workflow')?.id;
  return id && (await store.requests.findById(id))?.slack ? id : null;
});

async function startStep(base: string, inputs: Record<string, unknown>): Promise<string> {
  const executionId = `Fx${randomUUID().slice(0, 12)}`;
  const res = await postSigned(base, functionExecutedBody({ callbackId: REQUEST_ROLE_STEP, executionId, inputs }), { secret: SIGNING_SECRET, contentType: 'application/json' });
  expect(res.status).toBe(200);
  return executionId;
}

const inputs = (o: Record<string, unknown> = {}) => ({ workspace: 'meshlab', person: PERSON, requester: ADMIN, role: 'ADMIN', duration: '4h', reason: 'onboarding', ...o });

describe('the workflow step, in one process', () => {
  const clock = new TestClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ options: { clock }, seed: seed() });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const requestOf = async (executionId: string) => {
    let id: string | null = null;
    await waitFor(async () => {
      const all = await t.store.requests.listByWorkspace((await t.store.workspaces.findByName('meshlab'))!.id, { limit: 100 });
      id = all.find((r) => r.origin?.via === 'workflow' && r.origin.functionExecutionId === executionId)?.id ?? null;
      return id !== null;
    });
    return (await t.store.requests.findById(id!))!;
  };

  it('asks for the role of the person, as the person who used the workflow; completes with the outputs once applied', async () => {
    const executionId = await startStep(t.kw.url!, inputs());
    const r = await requestOf(executionId);
    expect(r).toMatchObject({ kind: 'permission.role', params: { email: 'ujane@example.com', role: 'ADMIN', minutes: 240 }, requester: ADMIN, reason: 'onboarding', status: 'PENDING' });
    const msg = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(r.id));
    expect(JSON.stringify(msg.args.blocks)).toContain(`requested by <@${ADMIN}> via a workflow`);
    expect(t.slack.completedSteps.has(executionId)).toBe(false);
    await t.click(ids.APPROVE, r.id, APPROVER1);
    await waitFor(() => t.slack.completedSteps.has(executionId));
    expect(t.slack.completedSteps.get(executionId)).toEqual({ outputs: { request_id: r.id, outcome: 'APPLIED', decided_by: APPROVER1 } });
    expect((await t.store.requests.findById(r.id))!.status).toBe('APPLIED');
    expect(t.slack.callsTo('functions.completeSuccess').filter((c) => c.args.function_execution_id === executionId)).toHaveLength(1);
  });

  it('fails with the rejecter and the reason when rejected', async () => {
    const executionId = await startStep(t.kw.url!, inputs({ role: 'VIEWER', duration: 'permanent' }));
    const r = await requestOf(executionId);
    expect(r.params).toEqual({ email: 'ujane@example.com', role: 'VIEWER' });
    const click = await clickReject(t, r.id, APPROVER2);
    await submitOpened(t, await click.opened(), APPROVER2, { reason: 'not this week' });
    await waitFor(() => t.slack.completedSteps.has(executionId));
    expect(t.slack.completedSteps.get(executionId)!.error).toMatch(/^REJECTED: rejected by <@UAPPR2>: not this week/);
  });

  it.each([
    [{ requester: OUTSIDER }, 'Only admins of workspace meshlab can request changes.'],
    [{ role: 'OWNER' }, '"OWNER" is not a role: use VIEWER, MEMBER or ADMIN.'],
    [{ duration: '0h' }, '"0h" is not a duration'],
    [{ workspace: 'nowhere' }, 'There is no workspace named "nowhere"'],
    [{ person: 'UNOBODY' }, 'unobody@example.com has no permission in workspace meshlab'],
    [{ role: undefined }, 'cannot read'],
  ])('fails at once, with the words Slack would show, when %j', async (o, words) => {
    const executionId = await startStep(t.kw.url!, inputs(o));
    await waitFor(() => t.slack.completedSteps.has(executionId));
    expect(String(t.slack.completedSteps.get(executionId)!.error)).toContain(words);
    // Nothing was requested.
    const all = await t.store.requests.listByWorkspace((await t.store.workspaces.findByName('meshlab'))!.id, { limit: 100 });
    expect(all.filter((r) => r.origin?.via === 'workflow' && r.origin.functionExecutionId === executionId)).toEqual([]);
  });

  it('completes through the outbound path: a 429 is waited out (its Retry-After), and the step completed once', async () => {
    const executionId = await startStep(t.kw.url!, inputs({ role: 'VIEWER', duration: 'permanent' }));
    const r = await requestOf(executionId);
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(r.id));
    t.slack.failNext('functions.completeSuccess', { status: 429, retryAfter: 1 });
    await t.click(ids.APPROVE, r.id, APPROVER1);
    await waitFor(() => t.slack.completedSteps.has(executionId));
    const calls = t.slack.callsTo('functions.completeSuccess').filter((c) => c.args.function_execution_id === executionId);
    expect(calls.map((c) => c.failed === true)).toEqual([true, false]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(t.slack.completedSteps.get(executionId)).toEqual({ outputs: { request_id: r.id, outcome: 'APPLIED', decided_by: APPROVER1 } });
  });

  it('a step Slack says is no longer running is dropped, not retried', async () => {
    const executionId = await startStep(t.kw.url!, inputs({ role: 'MEMBER', duration: 'permanent' }));
    const r = await requestOf(executionId);
    t.slack.failNext('functions.completeError', { error: 'function_execution_not_found' });
    const click = await clickReject(t, r.id, APPROVER2);
    await submitOpened(t, await click.opened(), APPROVER2, { reason: 'no' });
    // The requester is told after the step's completion was handled: it did not throw, so nothing retries it.
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && String(c.args.text).includes(r.id.slice(0, 8)));
    expect(t.slack.callsTo('functions.completeError').filter((c) => c.args.function_execution_id === executionId)).toHaveLength(1);
    expect(t.slack.completedSteps.has(executionId)).toBe(false);
    // Claimed for good: no later run of any process sends it again.
    expect((await t.store.requests.findById(r.id))!.notices?.['workflow-step']).toBeInstanceOf(Date);
  });

  it('fails as EXPIRED when nobody decides in time', async () => {
    const executionId = await startStep(t.kw.url!, inputs({ role: 'MEMBER', duration: '1d' }));
    await requestOf(executionId);
    clock.advance(73 * 3600_000);
    await waitFor(() => t.slack.completedSteps.has(executionId));
    expect(t.slack.completedSteps.get(executionId)!.error).toMatch(/^EXPIRED: nobody decided in time/);
  });
});

describe('the workflow step, decided by another process', () => {
  it('is completed by the process that carried the request out, the one that started it being gone', async () => {
    const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
    const a = await startTestApp({ seed: seed(), options: { queuePrefix: prefix } });
    let b: Awaited<ReturnType<typeof startKeywarden>> | null = null;
    try {
      b = await startKeywarden(loadConfig({
        PORT: '0', MONGODB_URI: 'memory', REDIS_URL: a.redis.url, SLACK_API_URL: a.slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, LOG_LEVEL: 'silent',
      }), { log: createLog('silent'), store: a.store, queuePrefix: prefix, sweepEveryMs: 500, slackLanes: UNLIMITED_LANES });
      const executionId = await startStep(a.kw.url!, inputs());
      const id = await postedStepRequest(a.store);
      await a.kw.stop();
      const res = await postSigned(b.url!, blockActionBody({ actionId: ids.APPROVE, value: id, userId: APPROVER1, teamId: 'T1', responseUrl: a.slack.responseUrl('b-approve'), channelId: APPROVALS }), { secret: SIGNING_SECRET });
      expect(res.status).toBe(200);
      await waitFor(() => a.slack.completedSteps.has(executionId));
      expect(a.slack.completedSteps.get(executionId)).toEqual({ outputs: { request_id: id, outcome: 'APPLIED', decided_by: APPROVER1 } });
    } finally {
      await b?.stop();
      await a.stop(); // its Keywarden was stopped above; this stops the rest and removes its folder

    }
  });

  it('a completion Slack rate-limited waits in its queue through a restart, and is sent once by the next process', async () => {
    const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
    const a = await startTestApp({ seed: seed(), options: { queuePrefix: prefix } });
    const config = loadConfig({
      PORT: '0', MONGODB_URI: 'memory', REDIS_URL: a.redis.url, SLACK_API_URL: a.slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, LOG_LEVEL: 'silent',
    });
    let b: Awaited<ReturnType<typeof startKeywarden>> | null = null;
    try {
      const executionId = await startStep(a.kw.url!, inputs());
      const id = await postedStepRequest(a.store);
      a.slack.failNext('functions.completeSuccess', { status: 429, retryAfter: 2 });
      await a.click(ids.APPROVE, id, APPROVER1);
      await a.slack.waitFor('functions.completeSuccess', (c) => c.args.function_execution_id === executionId && c.failed === true);
      // The process that was refused stops before its Retry-After is over; the completion is in Redis.
      await a.kw.stop();
      expect(a.slack.completedSteps.has(executionId)).toBe(false);
      b = await startKeywarden(config, { log: createLog('silent'), store: a.store, queuePrefix: prefix, sweepEveryMs: 500, slackLanes: UNLIMITED_LANES });
      await waitFor(() => a.slack.completedSteps.has(executionId));
      expect(a.slack.completedSteps.get(executionId)).toEqual({ outputs: { request_id: id, outcome: 'APPLIED', decided_by: APPROVER1 } });
      expect(a.slack.callsTo('functions.completeSuccess').filter((c) => c.args.function_execution_id === executionId && !c.failed)).toHaveLength(1);
    } finally {
      await b?.stop();
      await a.stop();
    }
  });
});
