/**
 * The installable mode end to end (issue 23): Keywarden started with SLACK_CLIENT_ID,
 * SLACK_CLIENT_SECRET and SLACK_STATE_SECRET instead of a bot token, installed through the OAuth
 * flow (GET /slack/install, then Slack's redirect with a code) on several Slack workspaces or org-wide
 * on an Enterprise Grid organisation; signed commands through the real Bolt app, real BullMQ, the
 * fake Slack, which knows which token each installation was given and refuses revoked ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startKeywarden, type Keywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { REFRESH_BEFORE_MS } from '../../src/slack/installations/tokens.js';
import { TestClock } from '../helpers/clock.js';
import type { SlackCall } from '../helpers/fake-slack.js';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, APPROVER1, APPROVER2, LogCapture, SIGNING_SECRET, startTestApp, testSeed, type TestApp } from '../helpers/keywarden.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';
import { installThroughOAuth, OAUTH_ENV } from '../helpers/slack-install.js';
import { appHomeOpenedBody, appUninstalledBody, postSigned, slashCommandBody } from '../helpers/slack-requests.js';

const GROUP = 'S0DECIDERS';
const MEMBER = 'UGROUPMEMBER';
const CLIENT = { id: OAUTH_ENV.SLACK_CLIENT_ID, secret: OAUTH_ENV.SLACK_CLIENT_SECRET };

/** The approval message of the request a command's answer names, as the fake Slack took it. */
async function approvalPost(t: TestApp, reply: string, timeoutMs = 5000): Promise<SlackCall> {
  const short = /Request ([0-9a-f]{8})/.exec(reply)?.[1];
  if (!short) throw new Error(`no request in the answer: ${reply}`);
  return t.slack.waitFor('chat.postMessage', (c) => !c.failed && c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short), timeoutMs);
}

async function metric(t: TestApp, line: RegExp): Promise<number> {
  const text = await (await fetch(`${t.kw.url}/metrics`)).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.split(' ').pop()) : 0;
}

describe('installable mode: two Slack workspaces', () => {
  let t: TestApp;
  const clock = new TestClock();
  beforeAll(async () => {
    // Workspace strict (T2) lets a user group decide role changes: reading it takes T2's token.
    const seed = testSeed();
    (seed.workspaces[1]!.policy as object) = { requiredApprovals: 1, requestTtlHours: 72, rules: [{ kinds: ['permission.role'], approvals: 1, approvers: [GROUP] }] };
    t = await startTestApp({ env: OAUTH_ENV, options: { clock }, seed });
    t.slack.client = CLIENT;
    t.slack.groups.set(GROUP, [MEMBER]);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('installs each through the OAuth flow, and answers a command in each with its own token', async () => {
    expect(await installThroughOAuth(t.kw.url!, t.slack, { teamId: 'T1' })).toMatchObject({ status: 200, text: /Keywarden is installed/ });
    expect((await installThroughOAuth(t.kw.url!, t.slack, { teamId: 'T2' })).status).toBe(200);
    // The code was exchanged with the app's own client id and secret.
    const exchanges = t.slack.delivered('oauth.v2.access', (c) => c.args.code !== undefined);
    expect(exchanges).toHaveLength(2);
    expect(exchanges.every((c) => c.args.client_id === CLIENT.id && c.args.client_secret === CLIENT.secret)).toBe(true);
    const tokenOf = (team: string) => [...t.slack.issued].find(([, v]) => v.owner === team)![0];
    const [t1, t2] = [tokenOf('T1'), tokenOf('T2')];
    expect(t1).not.toBe(t2);
    // Nothing readable at rest, nothing in the log.
    expect(JSON.stringify(await t.store.slackInstallations.findById('T1'))).not.toContain(t1);
    expect(t.logs.text).not.toContain(t1);
    expect(t.logs.text).not.toContain(CLIENT.secret);

    const inT1 = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN', '/permission', { teamId: 'T1' })).responseId);
    const inT2 = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN', '/permission', { teamId: 'T2' })).responseId);
    expect((await approvalPost(t, inT1)).token).toBe(t1);
    expect((await approvalPost(t, inT2)).token).toBe(t2);
    // Every Web API call went with a token an installation was given (no single bot token here).
    const api = t.slack.calls.filter((c) => c.method !== 'response_url' && c.method !== 'oauth.v2.access');
    expect(api.length).toBeGreaterThan(2);
    expect(api.filter((c) => !t.slack.issued.has(c.token ?? ''))).toEqual([]);
  });

  it('reads a user group with the installation of the workspace whose rule names it (a Home tab, rendered by the outbound path)', async () => {
    const t2 = [...t.slack.issued].find(([, v]) => v.owner === 'T2')![0];
    const opened = await postSigned(t.kw.url!, appHomeOpenedBody({ userId: MEMBER, teamId: 'T2' }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(opened.status).toBe(200);
    const publish = await t.slack.waitFor('views.publish', (c) => c.args.user_id === MEMBER);
    expect(publish.token).toBe(t2);
    const read = t.slack.delivered('usergroups.users.list', (c) => c.args.usergroup === GROUP);
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((c) => c.token === t2)).toBe(true);
  });

  it('refuses a request from a Slack workspace it is not installed on, and a half-done install', async () => {
    const posts = t.slack.callsTo('chat.postMessage').length;
    const res = await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN', '/permission', { teamId: 'T9' });
    expect(res.status).toBe(200);
    expect(t.slack.callsTo('chat.postMessage').length).toBe(posts);
    // A redirect without the browser's state cookie (a forged or replayed link) installs nothing.
    t.slack.authorizeCode('stolen', { teamId: 'T9' });
    const forged = await fetch(`${t.kw.url}/slack/oauth_redirect?code=stolen&state=x`);
    expect(forged.status).toBe(400);
    expect(await t.store.slackInstallations.findById('T9')).toBeNull();
  });

  it('uninstalled: its messages are dropped and counted, its records kept, and it answers again once reinstalled', async () => {
    const ids = (await t.store.requests.listPendingExpired(new Date(Date.now() + 1000 * 3600_000), 100)).map((r) => r.id);
    expect(ids).toHaveLength(2);
    const before = await metric(t, /^keywarden_slack_dropped_total\{reason="not_installed"\}/);
    t.slack.uninstall('T1');
    const uninstalledAt = new Date();
    const event = await postSigned(t.kw.url!, appUninstalledBody({ teamId: 'T1', at: uninstalledAt }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(event.status).toBe(200);
    await expect.poll(() => t.store.slackInstallations.findById('T1'), { timeout: 5000 }).toBeNull();
    expect(await t.store.slackInstallations.findById('T2')).not.toBeNull();

    // Both requests expire: T1's rewrite and DM find no installation; T2's go out as ever.
    const callsBefore = t.slack.calls.length;
    clock.advance(73 * 3600_000);
    await expect.poll(async () => (await Promise.all(ids.map((id) => t.store.requests.findById(id)))).every((r) => r!.status === 'EXPIRED'), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => metric(t, /^keywarden_slack_dropped_total\{reason="not_installed"\}/), { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 2);
    const t2Token = [...t.slack.issued].filter(([, v]) => v.owner === 'T2').map(([k]) => k);
    await t.slack.waitFor('chat.update', (c) => t2Token.includes(c.token ?? ''));
    // Nothing reached Slack with T1's revoked token; the log says why once per message.
    expect(t.slack.calls.slice(callsBefore).filter((c) => c.token && t.slack.issued.get(c.token)?.owner === 'T1')).toEqual([]);
    expect(t.logs.text.match(/dropped a Slack message: Keywarden is not installed/g)!.length).toBeGreaterThanOrEqual(2);
    // Its Keywarden workspace and requests are kept.
    expect(await t.store.workspaces.findById(testSeed().workspaces[0]!.id)).not.toBeNull();
    expect((await Promise.all(ids.map((id) => t.store.requests.findById(id)))).every((r) => r !== null)).toBe(true);

    // Reinstalled: a command there is answered again, with a token of the new installation (the
    // test clock is 73 hours on, so it is refreshed first).
    expect((await installThroughOAuth(t.kw.url!, t.slack, { teamId: 'T1' })).status).toBe(200);
    const again = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN', '/permission', { teamId: 'T1' })).responseId);
    expect(t.slack.issued.get((await approvalPost(t, again)).token!)).toEqual({ owner: 'T1', revoked: false });
    // Slack sends the uninstall again (it was not acked in time): it removes only what was installed before it.
    const heard = () => (t.logs.text.match(/its installation is removed/g) ?? []).length;
    const told = heard();
    await postSigned(t.kw.url!, appUninstalledBody({ teamId: 'T1', at: uninstalledAt }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    await expect.poll(heard, { timeout: 5000 }).toBe(told + 1);
    expect(await t.store.slackInstallations.findById('T1')).not.toBeNull();
  });

  it('a message waiting its turn when its Slack workspace uninstalls is dropped by the worker, not retried, and its request cancelled', async () => {
    const droppedBefore = await metric(t, /^keywarden_slack_dropped_total\{reason="not_installed"\}/);
    // Slack limits the approval message: it waits in the queue for its Retry-After.
    t.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const reply = await t.answer((await t.command(ADMIN, 'role max.muster@meshlab.de MEMBER', '/permission', { teamId: 'T2' })).responseId);
    const id = (await t.store.requests.listPendingExpired(new Date(Date.now() + 1000 * 3600_000), 100)).find((r) => reply.includes(r.id.slice(0, 8)))!.id;
    t.slack.uninstall('T2');
    await postSigned(t.kw.url!, appUninstalledBody({ teamId: 'T2' }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    await expect.poll(() => t.store.slackInstallations.findById('T2'), { timeout: 5000 }).toBeNull();
    const calls = t.slack.calls.length;
    // An approval message nobody can see must not stay pending.
    await expect.poll(async () => (await t.store.requests.findById(id))!.status, { timeout: 10_000 }).toBe('CANCELLED');
    await expect.poll(() => metric(t, /^keywarden_slack_dropped_total\{reason="not_installed"\}/), { timeout: 5000 }).toBeGreaterThan(droppedBefore);
    expect(t.slack.calls.slice(calls).filter((c) => c.method !== 'response_url')).toEqual([]);
    expect(t.logs.text).toMatch(/"kind":"approval"[^\n]*dropped a Slack message/);
  });
});

describe('installable mode: a token refreshed while two processes send', () => {
  const PREFIX = 'kwtest-refresh2';
  const clock = new TestClock();
  let t: TestApp;
  let second: Keywarden;
  beforeAll(async () => {
    t = await startTestApp({ env: OAUTH_ENV, options: { clock, queuePrefix: PREFIX } });
    t.slack.client = CLIENT;
    const config = loadConfig({
      ...OAUTH_ENV, PORT: '0', MONGODB_URI: 'memory', REDIS_URL: t.redis.url, SLACK_API_URL: t.slack.apiUrl,
      SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, LOG_LEVEL: 'debug',
    });
    second = await startKeywarden(config, { log: createLog('debug', new LogCapture()), store: t.store, queuePrefix: PREFIX, clock });
  });
  afterAll(async () => {
    await second?.stop();
    await t?.stop();
  });

  it('refreshes once, and both processes post with the new token', async () => {
    expect((await installThroughOAuth(t.kw.url!, t.slack, { teamId: 'T1' })).status).toBe(200);
    const first = [...t.slack.issued.keys()][0]!;
    // A few minutes before the token expires, a command reaches each process at the same moment.
    clock.advance(t.slack.tokenLifetimeSeconds * 1000 - REFRESH_BEFORE_MS / 3);
    const onSecond = async (text: string) => {
      const responseId = 'second-1';
      const body = slashCommandBody({ command: '/permission', text, userId: ADMIN, teamId: 'T1', responseUrl: t.slack.responseUrl(responseId) });
      expect((await postSigned(second.url!, body, { secret: SIGNING_SECRET })).status).toBe(200);
      return t.answer(responseId);
    };
    const [a, b] = await Promise.all([
      t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN').then((s) => t.answer(s.responseId)),
      onSecond('role john.doe@meshlab.de ADMIN'),
    ]);
    const [postA, postB] = await Promise.all([approvalPost(t, a), approvalPost(t, b)]);
    const refreshes = t.slack.callsTo('oauth.v2.access').filter((c) => c.args.grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]!.failed).toBeUndefined();
    const fresh = String(refreshes[0]!.result!.access_token);
    expect(fresh).not.toBe(first);
    expect([postA.token, postB.token]).toEqual([fresh, fresh]);
    // Nothing Slack refused on the way.
    expect(t.slack.calls.filter((c) => c.failed)).toEqual([]);
  });
});

describe('installable mode: installed org-wide on an Enterprise Grid organisation', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Both Keywarden workspaces live in Slack workspaces (T1, T2) of organisation E1.
    const seed = testSeed();
    for (const ws of seed.workspaces) (ws.slack as { enterpriseId?: string }).enterpriseId = 'E1';
    t = await startTestApp({ env: OAUTH_ENV, seed });
    t.slack.client = CLIENT;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers commands from two workspaces of the organisation with its one token, as each names the organisation', async () => {
    expect((await installThroughOAuth(t.kw.url!, t.slack, { enterpriseId: 'E1', orgWide: true })).status).toBe(200);
    expect(await t.store.slackInstallations.findById('E1')).toMatchObject({ isEnterpriseInstall: true, teamId: null, enterpriseId: 'E1' });
    const org = [...t.slack.issued].find(([, v]) => v.owner === 'E1')![0];
    const grid = { enterpriseId: 'E1', isEnterpriseInstall: true };
    const inT1 = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN', '/permission', { teamId: 'T1', ...grid })).responseId);
    const inT2 = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN', '/permission', { teamId: 'T2', ...grid })).responseId);
    const post1 = await approvalPost(t, inT1);
    expect(post1.token).toBe(org);
    expect((await approvalPost(t, inT2)).token).toBe(org);
    // Never assumed: the same team naming no organisation, or another one, is not installed.
    const posts = t.slack.callsTo('chat.postMessage').length;
    await t.command(ADMIN, 'role jane.roe@meshlab.de VIEWER', '/permission', { teamId: 'T1' });
    await t.command(ADMIN, 'role jane.roe@meshlab.de VIEWER', '/permission', { teamId: 'T1', enterpriseId: 'E2', isEnterpriseInstall: true });
    await expect.poll(() => t.logs.text.match(/refused a Slack request: Keywarden is not installed/g)?.length ?? 0).toBe(2);
    expect(t.slack.callsTo('chat.postMessage').length).toBe(posts);
    // A click from the organisation (Slack sends no team for an org-wide app: the user's says it).
    const requestId: string = post1.args.blocks.find((b: any) => b.type === 'actions').elements[0].value;
    const click = await t.click(ids.APPROVE, requestId, APPROVER1, { teamId: 'T1', enterpriseId: 'E1', orgWide: true });
    expect(await t.answer(click.responseId)).toMatch(/Approved/);
    await expect.poll(async () => (await t.store.requests.findById(requestId))!.status, { timeout: 10_000 }).toBe('APPLIED');
    const update = await t.slack.waitFor('chat.update', (c) => c.args.ts === post1.result!.ts && /Applied/.test(JSON.stringify(c.args.blocks)));
    expect(update.token).toBe(org);
  });

  it('tokens_revoked for the organisation removes the org-wide install', async () => {
    t.slack.uninstall('E1');
    const event = appUninstalledBody({ enterpriseId: 'E1', orgWide: true, kind: 'tokens_revoked' });
    expect((await postSigned(t.kw.url!, event, { secret: SIGNING_SECRET, contentType: 'application/json' })).status).toBe(200);
    await expect.poll(() => t.store.slackInstallations.findById('E1'), { timeout: 5000 }).toBeNull();
  });
});

describe('installable mode: the person whose access changed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: OAUTH_ENV, options: { clock: new TestClock() }, seed: testSeed() });
    t.slack.client = CLIENT;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is looked up on Slack and told with the installation of the workspace the change was made in', async () => {
    expect((await installThroughOAuth(t.kw.url!, t.slack, { teamId: 'T1' })).status).toBe(200);
    const token = [...t.slack.issued].find(([, v]) => v.owner === 'T1')![0];
    t.slack.people.set('UJANE0001', 'jane.roe@meshlab.de');
    const reply = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN', '/permission', { teamId: 'T1' })).responseId);
    const post = await approvalPost(t, reply);
    const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
    expect(await t.answer((await t.click(ids.APPROVE, requestId, APPROVER1, { teamId: 'T1' })).responseId)).toMatch(/^Approved/);
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'UJANE0001' && String(c.args.text).includes('Your permission'));
    expect(dm.token).toBe(token);
    const lookups = t.slack.delivered('users.lookupByEmail', (c) => c.args.email === 'jane.roe@meshlab.de');
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.every((c) => c.token === token)).toBe(true);
  });

  it('keeps who an email is per Slack workspace: the same email is another person in another workspace', async () => {
    expect((await installThroughOAuth(t.kw.url!, t.slack, { teamId: 'T2' })).status).toBe(200);
    const token = [...t.slack.issued].find(([, v]) => v.owner === 'T2')![0];
    // Max is UMAX00001 in T1 and UMAX00002 in T2 (two separate Slack workspaces, not an org).
    t.slack.people.set('UMAX00001', 'max.muster@meshlab.de');
    t.slack.people.set('UMAX00002', 'max.muster@meshlab.de');
    t.slack.userTeams.set('UMAX00001', 'T1');
    t.slack.userTeams.set('UMAX00002', 'T2');
    const told = (user: string) => t.slack.waitFor('chat.postMessage', (c) => c.args.channel === user && String(c.args.text).includes('Your permission'));
    for (const [team, user] of [['T1', 'UMAX00001'], ['T2', 'UMAX00002']] as const) {
      const reply = await t.answer((await t.command(ADMIN, 'activate max.muster@meshlab.de', '/permission', { teamId: team })).responseId);
      const post = await approvalPost(t, reply);
      const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
      // strict (T2) takes two approvals.
      for (const approver of team === 'T1' ? [APPROVER1] : [APPROVER1, APPROVER2]) {
        expect(await t.answer((await t.click(ids.APPROVE, requestId, approver, { teamId: team })).responseId)).toMatch(/^(Approved|Your approval is recorded)/);
      }
      await told(user);
    }
    expect((await told('UMAX00002')).token).toBe(token);
  });
});
