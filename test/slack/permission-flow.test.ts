/**
 * The core flow end to end, through the real Bolt app with signed requests, real BullMQ on a
 * private Redis, and the fake Slack Web API: ask, refuse, approve, apply, tell.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRequest } from '../../src/domain/request.js';
import { forms } from '../../src/slack/forms/ids.js';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, OUTSIDER, startTestApp, TEAM2, WS_ID, WS2_ID, type TestApp } from '../helpers/keywarden.js';
import { answerWithBlocks } from '../helpers/slack-answers.js';
import { clickReject, submitOpened } from '../helpers/views.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

async function permissionOf(email: string, ws = WS_ID) {
  const user = await t.store.users.findByEmail(email);
  return t.store.permissions.find(ws, user!.id);
}

/** Asks for a change as ADMIN and returns the stored request, from the approval message's button. */
async function request(text: string, requester = ADMIN): Promise<ChangeRequest> {
  const before = t.slack.callsTo('chat.postMessage').length;
  const sent = await t.command(requester, text);
  expect(sent.status).toBe(200);
  const reply = await t.answer(sent.responseId);
  expect(reply).toMatch(/sent to <#CAPPROVALS> for approval/);
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && t.slack.callsTo('chat.postMessage').indexOf(c) >= before);
  const actions = post.args.blocks.find((b: any) => b.type === 'actions');
  const requestId = actions.elements[0].value as string;
  return (await t.store.requests.findById(requestId))!;
}

async function waitForStatus(id: string, status: string, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const r = await t.store.requests.findById(id);
    if (r?.status === status) return r;
    if (Date.now() > end) throw new Error(`request ${id} is ${r?.status}, expected ${status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('/permission', () => {
  it('prints usage for help and for nothing at all, in the ack itself', async () => {
    for (const text of ['', 'help']) {
      const res = await t.command(ADMIN, text);
      expect(res.status).toBe(200);
      expect(res.json.response_type).toBe('ephemeral');
      expect(res.json.text).toContain('/permission role <email> <VIEWER|MEMBER|ADMIN>');
    }
  });

  it('answers bad input with what was wrong and the usage', async () => {
    const cases: Array<[string, RegExp]> = [
      ['role not-an-email ADMIN', /"not-an-email" is not an email address/],
      ['role john.doe@meshlab.de OWNER', /"OWNER" is not a role/],
      ['frobnicate', /"frobnicate" is not a \/permission command/],
      ['list status:GONE', /is not a status/],
    ];
    for (const [text, why] of cases) {
      const res = await t.command(ADMIN, text);
      expect(res.status).toBe(200);
      expect(res.json.text).toMatch(why);
      expect(res.json.text).toContain('*Usage*');
    }
  });

  it('lists permissions with a query and a status filter', async () => {
    const all = await answerWithBlocks(t, (await t.command(APPROVER1, 'list')).responseId);
    expect(all).toContain('john.doe@meshlab.de (John Doe): MEMBER, INVITED');
    expect(all).toContain('jane.roe@meshlab.de');
    const archived = await answerWithBlocks(t, (await t.command(ADMIN, 'list status:archived')).responseId);
    expect(archived).toContain('max.muster@meshlab.de');
    expect(archived).not.toContain('jane.roe');
    const byName = await answerWithBlocks(t, (await t.command(ADMIN, 'list Jane workspace:strict', '/permission', { teamId: TEAM2 })).responseId);
    expect(byName).toMatch(/1 permission in strict matching "Jane"/);
  });

  it('refuses people who are neither admin nor approver, and unknown workspaces', async () => {
    expect(await t.answer((await t.command(OUTSIDER, 'list')).responseId)).toMatch(/Only admins and approvers/);
    expect(await t.answer((await t.command(OUTSIDER, 'role jane.roe@meshlab.de ADMIN')).responseId)).toMatch(/Only admins of workspace meshlab/);
    expect(await t.answer((await t.command(ADMIN, 'list workspace:nowhere')).responseId)).toMatch(/no workspace named "nowhere"/);
    expect(await t.answer((await t.command(ADMIN, 'list', '/permission', { teamId: 'T999' })).responseId)).toMatch(/No workspace is configured/);
  });

  it('checks the rules before asking anyone: INVITED -> ACTIVE, no-op changes, unknown users', async () => {
    const posts = t.slack.callsTo('chat.postMessage').length;
    expect(await t.answer((await t.command(ADMIN, 'activate john.doe@meshlab.de')).responseId)).toMatch(/invited user cannot be made ACTIVE/);
    expect(await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de MEMBER')).responseId)).toMatch(/Nothing to change/);
    expect(await t.answer((await t.command(ADMIN, 'archive nobody@meshlab.de')).responseId)).toMatch(/No user with email nobody@meshlab.de/);
    expect(await t.answer((await t.command(ADMIN, 'invite jane.roe@meshlab.de VIEWER')).responseId)).toMatch(/already has a permission/);
    expect(t.slack.callsTo('chat.postMessage').length).toBe(posts);
  });
});

describe('approval', () => {
  it('posts the request with buttons, refuses the requester and outsiders, applies it once approved', async () => {
    const r = await request('role jane.roe@meshlab.de ADMIN needs to manage fact sheets', ADMIN2);
    expect(r.status).toBe('PENDING');
    expect(r.reason).toBe('needs to manage fact sheets');
    expect(r.requester).toBe(ADMIN2);

    // The requester cannot approve their own request (ADMIN2 is also an approver), nor can non-approvers.
    const own = await t.click(ids.APPROVE, r.id, ADMIN2);
    expect(own.status).toBe(200);
    expect(await t.answer(own.responseId)).toMatch(/cannot decide your own request/);
    expect(await t.answer((await t.click(ids.APPROVE, r.id, ADMIN)).responseId)).toMatch(/Only approvers/);
    expect(await t.answer((await t.click(ids.REJECT, r.id, OUTSIDER)).responseId)).toMatch(/Only approvers/);
    expect((await t.store.requests.findById(r.id))!.status).toBe('PENDING');

    const ok = await t.click(ids.APPROVE, r.id, APPROVER1);
    expect(await t.answer(ok.responseId)).toMatch(/Approved/);
    const applied = await waitForStatus(r.id, 'APPLIED');
    expect(applied.decidedBy).toBe(APPROVER1);
    expect(applied.outcome).toBe('jane.roe@meshlab.de is now ADMIN and ACTIVE.');
    expect((await permissionOf('jane.roe@meshlab.de'))!.role).toBe('ADMIN');

    // The approval message is rewritten without buttons, naming the approver and the result.
    const update = await t.slack.waitFor('chat.update', (c) => c.args.ts === r.slack!.ts && /Applied/.test(JSON.stringify(c.args.blocks)));
    expect(update.args.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(update.args.blocks)).toContain(`<@${APPROVER1}>`);
    // The requester is told by DM.
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN2 && c.args.text.includes(r.id.slice(0, 8)));
    expect(dm.args.text).toMatch(/Applied: jane.roe@meshlab.de is now ADMIN/);

    const history = await t.store.history.listBySubject('permission', (await permissionOf('jane.roe@meshlab.de'))!.id, 10);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'permission.updated', requestId: r.id, approvers: [APPROVER1], before: { role: 'MEMBER' }, after: { role: 'ADMIN' }, actor: { type: 'slack', id: ADMIN2 } });
  });

  it('rejects with a reason asked in a form: message rewritten without buttons, requester told, history written, nothing applied', async () => {
    const r = await request('archive jane.roe@meshlab.de');
    // Reject opens a form asking why; only its submission decides.
    const click = await clickReject(t, r.id, APPROVER2);
    const opened = await click.opened();
    expect(opened.args.view.callback_id).toBe(forms.REJECT);
    expect((await t.store.requests.findById(r.id))!.status).toBe('PENDING');
    // No reason: the form says so under the field and stays open.
    const empty = await submitOpened(t, opened, APPROVER2, { reason: '   ' });
    expect(empty.json).toEqual({ response_action: 'errors', errors: { reason: 'Say why, for the requester.' } });
    const sent = await submitOpened(t, opened, APPROVER2, { reason: 'Jane still runs the <!channel> inventory' });
    expect(sent.status).toBe(200);
    expect(sent.text).toBe('');
    expect(await t.answer(click.responseId)).toMatch(/Rejected/);
    const done = await t.store.requests.findById(r.id);
    expect(done).toMatchObject({ status: 'REJECTED', decidedBy: APPROVER2, outcome: 'Jane still runs the <!channel> inventory' });
    const update = await t.slack.waitFor('chat.update', (c) => c.args.ts === r.slack!.ts);
    // The reason is shown, escaped: typed text cannot ping a channel.
    expect(JSON.stringify(update.args.blocks)).toContain(`Rejected by <@${APPROVER2}>: Jane still runs the &lt;!channel&gt; inventory`);
    expect(update.args.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && /Rejected by <@UAPPR2>: Jane still runs/.test(c.args.text));
    expect((await permissionOf('jane.roe@meshlab.de'))!.status).toBe('ACTIVE');
    const history = await t.store.history.listBySubject('permission', (await permissionOf('jane.roe@meshlab.de'))!.id, 10);
    expect(history.filter((h) => h.requestId === r.id)).toEqual([expect.objectContaining({
      action: 'permission.archive_rejected', actor: { type: 'slack', id: APPROVER2 }, reason: 'Jane still runs the <!channel> inventory',
    })]);
    // A second submission of the same form is answered in the form: it is decided.
    expect((await submitOpened(t, opened, APPROVER2, { reason: 'again' })).json.errors.reason).toMatch(/already rejected/);
    // A late approval changes nothing and says who decided.
    expect(await t.answer((await t.click(ids.APPROVE, r.id, APPROVER1)).responseId)).toMatch(/already rejected \(decided by <@UAPPR2>\)/);
  });

  it('with a burst of concurrent approve clicks and reject submissions, the first decisive one wins and the change applies once', async () => {
    const r = await request('role john.doe@meshlab.de VIEWER');
    // Reject forms opened while the request is pending, then submitted together with approve clicks.
    const rejecters = [APPROVER1, APPROVER2, APPROVER1, APPROVER2];
    const opened = await Promise.all(rejecters.map(async (u) => (await clickReject(t, r.id, u)).opened()));
    const clicks = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => t.click(ids.APPROVE, r.id, i % 2 ? APPROVER1 : APPROVER2)),
      ...opened.map((view, i) => submitOpened(t, view, rejecters[i]!, { reason: `not now (${i})` })),
    ]);
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    const settled = await t.store.requests.findById(r.id);
    expect(['APPROVED', 'APPLIED', 'REJECTED']).toContain(settled!.status);
    if (settled!.status !== 'REJECTED') await waitForStatus(r.id, 'APPLIED');
    const final = await t.store.requests.findById(r.id);
    const perm = await permissionOf('john.doe@meshlab.de');
    const history = await t.store.history.listBySubject('permission', perm!.id, 50);
    const lines = history.filter((h) => h.requestId === r.id);
    // One line either way: the change applied, or the rejection with its reason.
    expect(lines.map((h) => h.action)).toEqual([final!.status === 'APPLIED' ? 'permission.updated' : 'permission.role_rejected']);
    // Exactly one DM telling the outcome.
    await new Promise((res) => setTimeout(res, 300));
    const dms = t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === ADMIN && c.args.text.includes(r.id.slice(0, 8)));
    expect(dms).toHaveLength(1);
  });

  it('needs two distinct approvers when the policy says so', async () => {
    const sent = await t.command(ADMIN, 'role jane.roe@meshlab.de VIEWER', '/permission', { teamId: TEAM2 });
    expect(await t.answer((await t.command(ADMIN, 'list workspace:strict')).responseId)).toMatch(/no workspace named "strict"/);
    await t.answer(sent.responseId);
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes('strict'));
    const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value;
    expect(await t.answer((await t.click(ids.APPROVE, id, APPROVER1, { teamId: TEAM2 })).responseId)).toMatch(/needs another approver/);
    expect(await t.answer((await t.click(ids.APPROVE, id, APPROVER1, { teamId: TEAM2 })).responseId)).toMatch(/already approved this request/);
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
    const ref = (await t.store.requests.findById(id))!.slack!;
    const partial = await t.slack.waitFor('chat.update', (c) => c.args.ts === ref.ts);
    expect(JSON.stringify(partial.args.blocks)).toContain('1 of 2 so far');
    expect(partial.args.blocks.some((b: any) => b.type === 'actions')).toBe(true);
    await t.click(ids.APPROVE, id, ADMIN2, { teamId: TEAM2 });
    const done = await waitForStatus(id, 'APPLIED');
    expect(done.approvals.map((a) => a.by)).toEqual([APPROVER1, ADMIN2]);
    expect((await permissionOf('jane.roe@meshlab.de', WS2_ID))!.role).toBe('VIEWER');
  });

  it('refuses a click from another Slack team and a button value that is not a request id', async () => {
    const r = await request('invite new.person@meshlab.de VIEWER');
    expect(await t.answer((await t.click(ids.APPROVE, r.id, APPROVER1, { teamId: 'T999' })).responseId)).toMatch(/does not belong to this Slack team/);
    expect(await t.answer((await t.click(ids.APPROVE, '{"$gt":""}', APPROVER1)).responseId)).toMatch(/does not name a request/);
    expect((await t.store.requests.findById(r.id))!.status).toBe('PENDING');
    await t.click(ids.APPROVE, r.id, APPROVER1);
    await waitForStatus(r.id, 'APPLIED');
    expect((await permissionOf('new.person@meshlab.de'))).toMatchObject({ role: 'VIEWER', status: 'INVITED' });
  });

  it('when the outcome DM cannot be sent, the job runs again and only sends the DM', async () => {
    const r = await request('role jane.roe@meshlab.de MEMBER');
    // Every attempt the Web API client makes (it retries 3 times itself) fails once.
    t.slack.failNext('chat.postMessage', { status: 500, times: 4 });
    await t.click(ids.APPROVE, r.id, APPROVER1);
    await waitForStatus(r.id, 'APPLIED');
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && c.args.text.includes(r.id.slice(0, 8)) && !c.failed, 15_000);
    expect(dm.args.text).toMatch(/Applied/);
    expect((await t.store.requests.findById(r.id))!.notifiedAt).not.toBeNull();
    const perm = await permissionOf('jane.roe@meshlab.de');
    expect((await t.store.history.listBySubject('permission', perm!.id, 50)).filter((h) => h.requestId === r.id)).toHaveLength(1);
  }, 30_000);
});
