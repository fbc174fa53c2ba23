/**
 * Approved permission changes in a workspace connected to LeanIX, through the real Bolt app,
 * BullMQ on a private Redis, the fake Slack and the fake LeanIX: made in LeanIX first (posted
 * back with its unknown fields), then in the mirror; not made over a change made in LeanIX while
 * the request waited (drift recorded); made once when LeanIX comes back; failed 30 minutes after
 * approval; LeanIX's own refusal in its words; a revoked token said once; roles from the IdP.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startKeywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { UNLIMITED_LANES } from '../../src/slack/outbound/lanes.js';
import type { ChangeRequest } from '../../src/domain/request.js';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { ADMIN, APPROVALS, APPROVER1, LogCapture, SIGNING_SECRET, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';
import { requestWithStatus, waitFor } from '../helpers/wait.js';

let t: TestApp | undefined;
let lx: FakeLeanix | undefined;
let clock: TestClock;
afterEach(async () => {
  await t?.stop();
  await lx?.stop();
  t = lx = undefined;
});

async function start(leanix: object = {}, queuePrefix?: string) {
  clock = new TestClock();
  lx = await FakeLeanix.start({ workspaceId: WS_ID, clock });
  lx.data.addPermission({ email: 'john.doe@meshlab.de', role: 'MEMBER', status: 'INVITED' });
  lx.data.addPermission({ email: 'jane.roe@meshlab.de', role: 'MEMBER', status: 'ACTIVE' });
  lx.data.addPermission({ email: 'max.muster@meshlab.de', role: 'VIEWER', status: 'ARCHIVED' });
  const seed = testSeed();
  t = await startTestApp({
    seed: { workspaces: [{ ...seed.workspaces[0]!, leanix: { baseUrl: lx.url, apiTokenEnv: 'LEANIX_API_TOKEN_MESHLAB', ...leanix } }, seed.workspaces[1]!] },
    env: { LEANIX_API_TOKEN_MESHLAB: lx.apiToken },
    options: { clock, leanixApply: { retryDelayMs: 150 }, leanixTransport: { retries: 0, timeoutMs: 5000 }, ...(queuePrefix && { queuePrefix }) },
  });
  return { t, lx };
}

async function request(text: string): Promise<ChangeRequest> {
  const before = t!.slack.callsTo('chat.postMessage').length;
  const sent = await t!.command(ADMIN, text);
  expect(await t!.answer(sent.responseId)).toMatch(/sent to <#CAPPROVALS> for approval/);
  const post = await t!.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && t!.slack.callsTo('chat.postMessage').indexOf(c) >= before);
  const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  return (await t!.store.requests.findById(requestId))!;
}

async function approve(r: ChangeRequest) {
  expect(await t!.answer((await t!.click(ids.APPROVE, r.id, APPROVER1)).responseId)).toMatch(/Approved/);
}

const statusOf = (id: string, status: string) => requestWithStatus(t!.store, id, status);
const mirrorOf = async (email: string) => t!.store.permissions.find(WS_ID, (await t!.store.users.findByEmail(email))!.id);
const posts = () => lx!.callsTo('POST', /\/permissions$/);

describe('a connected workspace', () => {
  it('makes an approved role change in LeanIX first, posting back what it read, then in the mirror', async () => {
    await start();
    const r = await request('role jane.roe@meshlab.de ADMIN');
    expect(r.seen).toEqual({ role: 'MEMBER', status: 'ACTIVE' });
    await approve(r);
    const done = await statusOf(r.id, 'APPLIED');
    expect(done.outcome).toBe('jane.roe@meshlab.de is now ADMIN and ACTIVE.');
    expect(lx!.data.permissionOf('jane.roe@meshlab.de')!.role).toBe('ADMIN');
    expect(posts()).toHaveLength(1);
    expect(lx!.data.posted[0]).toMatchObject({ role: 'ADMIN', status: 'ACTIVE', tags: ['from-leanix'], user: { account: { id: 'acc-1' } } });
    expect((await mirrorOf('jane.roe@meshlab.de'))!.role).toBe('ADMIN');
  });

  it('does not make a change over one made in LeanIX while it waited: fails, says what LeanIX shows, records drift', async () => {
    await start();
    const r = await request('role jane.roe@meshlab.de ADMIN');
    lx!.changeOutside('jane.roe@meshlab.de', { role: 'VIEWER' });
    await approve(r);
    const failed = await statusOf(r.id, 'FAILED');
    expect(failed.outcome).toBe('LeanIX shows VIEWER, not MEMBER as when this was approved; ask again.');
    expect(posts()).toHaveLength(0);
    expect(lx!.data.permissionOf('jane.roe@meshlab.de')!.role).toBe('VIEWER');
    const lines = await t!.store.history.listBySubject('permission', lx!.data.permissionOf('jane.roe@meshlab.de')!.id, 10);
    expect(lines).toEqual([expect.objectContaining({ action: 'permission.changed_outside', actor: { type: 'leanix' }, before: { role: 'MEMBER' }, after: { role: 'VIEWER' }, requestId: r.id })]);
    const dm = await t!.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && String(c.args.text).includes('LeanIX shows VIEWER'));
    expect(dm.args.text).toMatch(/ask again/);
  });

  it('waits out LeanIX being down during an apply and makes the change once when it is back', async () => {
    await start();
    const r = await request('archive jane.roe@meshlab.de');
    lx!.down = true;
    await approve(r);
    await waitFor('two tries while down', async () => lx!.calls.filter((c) => c.status === 503).length >= 2);
    expect((await t!.store.requests.findById(r.id))!.status).toBe('APPROVED');
    lx!.down = false;
    await statusOf(r.id, 'APPLIED');
    expect(posts().filter((c) => c.status === 200)).toHaveLength(1);
    expect(lx!.data.permissionOf('jane.roe@meshlab.de')!.status).toBe('ARCHIVED');
    expect((await mirrorOf('jane.roe@meshlab.de'))!.status).toBe('ARCHIVED');
  });

  it('fails a change LeanIX has not answered for 30 minutes after approval, and says so', async () => {
    await start();
    const r = await request('archive jane.roe@meshlab.de');
    lx!.down = true;
    await approve(r);
    await waitFor('a try while down', async () => lx!.calls.some((c) => c.status === 503));
    clock.advance(31 * 60_000);
    const failed = await statusOf(r.id, 'FAILED');
    expect(failed.outcome).toMatch(/^LeanIX did not answer for 3\d minutes after this was approved, so it was not changed there; ask again when LeanIX is back\.$/);
    expect((await mirrorOf('jane.roe@meshlab.de'))!.status).toBe('ACTIVE');
  });

  it('finds its change made on a re-run after stopping between LeanIX\'s write and the mirror\'s', async () => {
    await start();
    const r = await request('role jane.roe@meshlab.de VIEWER');
    // LeanIX makes the change, but the read-back that would confirm it is lost: the run ends there,
    // before the mirror is written, and the job runs again (the first GET, the read, goes through).
    lx!.dropAnswerOfNext(1, { method: 'GET', path: /\/permissions$/, skip: 1 });
    const reads = () => lx!.callsTo('GET', /\/permissions$/).length;
    const readsBefore = reads();
    await approve(r);
    await statusOf(r.id, 'APPLIED');
    expect(lx!.calls.filter((c) => c.status === 'dropped')).toHaveLength(1);
    expect(reads() - readsBefore).toBe(3); // read, the lost read-back, and the re-run's read, which finds it made
    expect(posts()).toHaveLength(1);
    expect((await mirrorOf('jane.roe@meshlab.de'))!.role).toBe('VIEWER');
  });

  it("fails with LeanIX's own words when LeanIX refuses the change", async () => {
    await start();
    const r = await request('archive jane.roe@meshlab.de');
    lx!.failNext(1, { status: 400, method: 'POST', path: /\/permissions$/, message: 'This user is the last admin of the workspace.' });
    await approve(r);
    const failed = await statusOf(r.id, 'FAILED');
    expect(failed.outcome).toBe('LeanIX refused the change: This user is the last admin of the workspace.');
    expect((await mirrorOf('jane.roe@meshlab.de'))!.status).toBe('ACTIVE');
  });

  it('fails changes with the reason once the API token is revoked, and tells the notification channels once', async () => {
    await start();
    const a = await request('archive jane.roe@meshlab.de');
    const b = await request('role max.muster@meshlab.de MEMBER');
    lx!.revokeApiToken();
    await approve(a);
    expect((await statusOf(a.id, 'FAILED')).outcome).toMatch(/^Not changed in LeanIX: .*API token was replaced or deleted in LeanIX\.$/);
    await approve(b);
    expect((await statusOf(b.id, 'FAILED')).outcome).toMatch(/API token was replaced or deleted/);
    const told = () => t!.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes('can no longer reach LeanIX'));
    await waitFor('the notice', async () => told().length > 0);
    expect(told()).toHaveLength(1);
  });

  it('tells the notification channels once when two processes find the API token revoked', async () => {
    const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
    await start({}, prefix);
    // A second process (a worker beside the first) on the same Redis, store and queues.
    const logs = new LogCapture();
    const second = await startKeywarden(loadConfig({
      PORT: '0', MONGODB_URI: 'memory', REDIS_URL: t!.redis.url, SLACK_API_URL: t!.slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, LOG_LEVEL: 'debug', LEANIX_API_TOKEN_MESHLAB: lx!.apiToken,
    }), { log: createLog('debug', logs), store: t!.store, queuePrefix: prefix, clock, slackLanes: UNLIMITED_LANES, leanixTransport: { retries: 0, timeoutMs: 5000 } });
    try {
      lx!.revokeApiToken();
      for (const k of [t!.kw, second]) {
        const client = k.leanix.get(WS_ID)!.client;
        await expect(client.getPermissionByEmail('jane.roe@meshlab.de')).rejects.toThrow(/API token was replaced or deleted/);
        expect(client.state.unauthorised).toBe(true);
      }
      const told = () => t!.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes('can no longer reach LeanIX'));
      await waitFor('the notice', async () => told().length > 0);
      // Both processes have decided: one told, the other found the claim taken (whichever won).
      await waitFor('both processes decided', async () => (t!.logs.text + logs.text).includes('another process has told the notification channels'));
      expect(told()).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  it('refuses role changes before anyone is asked when roles come from the identity provider; status changes go through', async () => {
    await start({ rolesManagedBy: 'idp' });
    const sent = await t!.command(ADMIN, 'role jane.roe@meshlab.de ADMIN');
    expect(await t!.answer(sent.responseId)).toContain('Roles in meshlab come from your identity provider (SSO/SCIM); change them there.');
    expect(t!.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === APPROVALS)).toHaveLength(0);
    const r = await request('archive jane.roe@meshlab.de');
    await approve(r);
    await statusOf(r.id, 'APPLIED');
    expect(lx!.data.permissionOf('jane.roe@meshlab.de')!.status).toBe('ARCHIVED');
  });

  it('refuses invites with a line saying they are made in LeanIX', async () => {
    await start();
    const sent = await t!.command(ADMIN, 'invite new.person@meshlab.de VIEWER');
    expect(await t!.answer(sent.responseId)).toMatch(/Invites to meshlab are made in LeanIX/);
  });
});
