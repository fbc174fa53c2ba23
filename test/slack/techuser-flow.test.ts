/**
 * Technical users end to end: create, reveal once, rotate (double-clicked), change expiry and
 * role, delete, history; the token never appears anywhere but the one ephemeral answer.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, OUTSIDER, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';

const TOKEN = /lxt_[A-Za-z0-9_-]{43}/g;
const clock = new TestClock();
let t: TestApp;
const revealed: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
});
afterAll(async () => {
  await t?.stop();
});

const inDays = (d: number) => new Date(clock.now().getTime() + d * 86_400_000).toISOString().slice(0, 10);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function approved(text: string, requester = ADMIN): Promise<string> {
  const sent = await t.command(requester, text, '/techuser');
  const reply = await t.answer(sent.responseId);
  expect(reply).toMatch(/sent to <#CAPPROVALS> for approval/);
  const id = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(id));
  const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  await t.click(ids.APPROVE, requestId, APPROVER1);
  await waitFor(async () => (await t.store.requests.findById(requestId))?.status === 'APPLIED');
  return requestId;
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The Reveal DM for a request, waiting for it. */
const revealDm = (requestId: string) =>
  t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && JSON.stringify(c.args.blocks ?? []).includes(ids.REVEAL) && JSON.stringify(c.args.blocks).includes(requestId));

async function reveal(requestId: string, userId = ADMIN): Promise<string> {
  const sent = await t.click(ids.REVEAL, requestId, userId);
  expect(sent.status).toBe(200);
  return t.answer(sent.responseId);
}

describe('/techuser', () => {
  it('refuses bad input with a clear reason, before anyone is asked', async () => {
    const posts = t.slack.callsTo('chat.postMessage').length;
    const cases: Array<[string, RegExp]> = [
      ['create ci-bot MEMBER 2027-02-30', /"2027-02-30" is not a date/],
      ['create ci-bot MEMBER 2020-01-01', /is not in the future/],
      ['create ci-bot MEMBER 31.12.2027', /"31.12.2027" is not a date: use YYYY-MM-DD/],
      ['create ci-bot OWNER 2027-01-01', /"OWNER" is not a role/],
      ['create x MEMBER ' + inDays(30), /"x" is not a valid username/],
      ['rotate ghost', /no technical user named ghost/],
      ['frob', /"frob" is not a \/techuser command/],
    ];
    for (const [text, why] of cases) {
      const res = await t.command(ADMIN, text, '/techuser');
      const answer = res.json?.text ?? (await t.answer(res.responseId));
      expect(answer).toMatch(why);
    }
    expect(t.slack.callsTo('chat.postMessage').length).toBe(posts);
  });

  it('creates a technical user and reveals its token once, to the requester only', async () => {
    const id = await approved(`create ci-bot MEMBER ${inDays(90)} Nightly import roles:importer aces:emea`);
    const tu = await t.store.technicalUsers.findByName(WS_ID, 'ci-bot');
    expect(tu).toMatchObject({ role: 'MEMBER', description: 'Nightly import', customerRoles: ['importer'], accessControlEntities: ['emea'] });
    const dm = await revealDm(id);
    expect(JSON.stringify(dm.args)).not.toMatch(TOKEN);

    expect(await reveal(id, OUTSIDER)).toMatch(/no token to reveal/);
    const shown = await reveal(id);
    const token = shown.match(TOKEN)![0];
    revealed.push(token);
    expect(sha(token)).toBe(tu!.token!.hash);
    expect(tu!.token!.lastFour).toBe(token.slice(-4));
    // The DM is rewritten without its button; a second click reveals nothing.
    const rewritten = await t.slack.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes('was revealed'));
    expect(JSON.stringify(rewritten.args.blocks)).not.toContain(ids.REVEAL);
    expect(await reveal(id)).toMatch(/no token to reveal/);
    expect((await t.store.tokenReveals.findById(id))).toBeNull();
    expect((await t.store.technicalUsers.findByName(WS_ID, 'ci-bot'))!.token!.revealBy).toBeNull();
  });

  it('rotates once however often the approval is clicked; the old token stops matching', async () => {
    const before = (await t.store.technicalUsers.findByName(WS_ID, 'ci-bot'))!.token!;
    const sent = await t.command(ADMIN, 'rotate ci-bot leaked in a log', '/techuser');
    const rid = /Request ([0-9a-f]{8})/.exec(await t.answer(sent.responseId))![1]!;
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(rid));
    const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.click(ids.APPROVE, requestId, i % 2 ? APPROVER1 : APPROVER2)));
    await waitFor(async () => (await t.store.requests.findById(requestId))?.status === 'APPLIED');
    await revealDm(requestId);
    await new Promise((r) => setTimeout(r, 300));
    const dms = t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === ADMIN && JSON.stringify(c.args.blocks ?? []).includes(requestId));
    expect(dms).toHaveLength(1);
    const after = (await t.store.technicalUsers.findByName(WS_ID, 'ci-bot'))!.token!;
    expect(after.hash).not.toBe(before.hash);
    expect(after.expiresAt).toEqual(before.expiresAt);
    expect(await t.store.technicalUsers.findByTokenHash(before.hash!)).toBeNull();
    const token = (await reveal(requestId)).match(TOKEN)![0];
    revealed.push(token);
    expect(sha(token)).toBe(after.hash);
  });

  it('changes the expiry without replacing the token, and the role', async () => {
    const before = (await t.store.technicalUsers.findByName(WS_ID, 'ci-bot'))!.token!;
    await approved(`expiry ci-bot ${inDays(200)} extend for Q3`);
    const after = (await t.store.technicalUsers.findByName(WS_ID, 'ci-bot'))!;
    expect(after.token!.hash).toBe(before.hash);
    expect(after.token!.expiresAt.toISOString().slice(0, 10)).toBe(inDays(201));
    await approved('role ci-bot ADMIN', ADMIN2);
    expect((await t.store.technicalUsers.findByName(WS_ID, 'ci-bot'))!.role).toBe('ADMIN');
  });

  it('lists technical users and prints the history newest first with actors and request ids', async () => {
    const list = await t.answer((await t.command(APPROVER1, 'list', '/techuser')).responseId);
    expect(list).toMatch(/\*ci-bot\* \(ADMIN\): token …\S{4} expires/);
    const history = await t.answer((await t.command(ADMIN, 'history ci-bot', '/techuser')).responseId);
    const lines = history.split('\n').slice(1);
    expect(lines[0]).toMatch(/role_changed by <@UADMIN2>, approved by <@UAPPR1> \(request [0-9a-f]{8}\): from role=MEMBER to role=ADMIN/);
    expect(history).toMatch(/expiry_changed/);
    expect(history).toMatch(/token_replaced/);
    expect(history).toMatch(/token_revealed by <@UADMIN1>/);
    expect(lines.at(-1)).toMatch(/created by <@UADMIN1>/);
    expect(history).not.toMatch(TOKEN);
    expect(await t.answer((await t.command(OUTSIDER, 'list', '/techuser')).responseId)).toMatch(/Only admins and approvers/);
  });

  it('revokes a token nobody revealed in time and tells the notification channel', async () => {
    const id = await approved(`create lazy-bot VIEWER ${inDays(30)}`);
    await revealDm(id);
    clock.advance(25 * 3600_000);
    const revoked = await t.kw.technicalUsers.revokeUnrevealed();
    expect(revoked.map((r) => r.userName)).toEqual(['lazy-bot']);
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && /lazy-bot.*revoked/.test(c.args.text));
    expect(await reveal(id)).toMatch(/no token to reveal/);
    expect((await t.store.technicalUsers.findByName(WS_ID, 'lazy-bot'))!.token!.revokedAt).not.toBeNull();
  });

  it('deletes a technical user and its token', async () => {
    const hash = (await t.store.technicalUsers.findByName(WS_ID, 'ci-bot'))!.token!.hash;
    await approved('delete ci-bot no longer needed');
    expect(await t.store.technicalUsers.findByName(WS_ID, 'ci-bot')).toBeNull();
    expect(await t.store.technicalUsers.findByTokenHash(hash!)).toBeNull();
  });

  it('never wrote a token to the logs or to any Slack message but the ephemeral answer', () => {
    expect(revealed.length).toBeGreaterThanOrEqual(2);
    for (const token of revealed) {
      expect(t.logs.text).not.toContain(token);
      expect(t.logs.text).not.toContain(token.slice(4));
      const carriers = t.slack.calls.filter((c) => JSON.stringify(c.args).includes(token));
      expect(carriers.map((c) => [c.method, c.args.response_type])).toEqual([['response_url', 'ephemeral']]);
    }
  });
});
