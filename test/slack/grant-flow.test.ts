/**
 * Time-bound grants through the real Bolt app (signed requests, real BullMQ on a private Redis,
 * the fake Slack Web API): `for <duration>` on the role commands and in the form, bad durations,
 * what the approval message and the requester's DM say, End now and Extend under that DM,
 * `/permission grants`, and the Home tab.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forms } from '../../src/slack/forms/ids.js';
import { ids } from '../../src/slack/ids.js';
import { addTechnicalUser } from '../api/api-client.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, OUTSIDER, SIGNING_SECRET, startTestApp, TEAM, TEAM2, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { blockActionBody, postSigned } from '../helpers/slack-requests.js';
import { clickInHome, commandOpeningForm, openHome, submitOpened } from '../helpers/views.js';
import { pickPerson } from '../helpers/slack-options.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'VIEWER', userName: 'etl-bot', now: new Date() });
});
afterAll(async () => {
  await t?.stop();
});

const HOUR = 3600_000;
const SLACK_DATE = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>/;

async function roleOf(email: string) {
  const user = await t.store.users.findByEmail(email);
  return (await t.store.permissions.find(WS_ID, user!.id))!;
}

/** Asks with a command as `requester`; returns the request id from the approval message it posted. */
async function ask(text: string, requester = ADMIN, command = '/permission'): Promise<string> {
  const reply = await t.answer((await t.command(requester, text, command)).responseId);
  expect(reply, text).toMatch(/sent to <#CAPPROVALS> for approval/);
  const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short));
  return post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
}

async function approved(id: string) {
  expect(await t.answer((await t.click(ids.APPROVE, id, APPROVER1)).responseId)).toMatch(/Approved/);
  const end = Date.now() + 10_000;
  for (;;) {
    const r = (await t.store.requests.findById(id))!;
    if (r.status === 'APPLIED') return r;
    if (Date.now() > end) throw new Error(`request ${id} is ${r.status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** A grant asked for with the command, approved and applied; returns its id and the requester's DM. */
async function granted(text: string, requester = ADMIN, command = '/permission') {
  const id = await ask(text, requester, command);
  await approved(id);
  const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === requester && String(c.args.text).includes(id.slice(0, 8)) && Array.isArray(c.args.blocks));
  return { id, dm };
}

/** Clicks a button with a known trigger_id (so the views.open it causes can be found). */
async function clickWithTrigger(actionId: string, value: string, userId: string) {
  const triggerId = `${Date.now()}.${randomUUID().slice(0, 8)}.faketrigger`;
  const responseId = `grant-${randomUUID().slice(0, 8)}`;
  const res = await postSigned(t.kw.url!, blockActionBody({ actionId, value, userId, teamId: TEAM, responseUrl: t.slack.responseUrl(responseId), channelId: `D${userId}`, triggerId }), { secret: SIGNING_SECRET });
  return { res, responseId, opened: () => t.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId) };
}

describe('asking for a role for a time', () => {
  it('refuses bad durations with the usage, storing and posting nothing', async () => {
    const posts = t.slack.callsTo('chat.postMessage').length;
    const requests = (await t.store.requests.listByWorkspace(WS_ID, { limit: 1000 })).length;
    const cases: Array<[string, string, RegExp]> = [
      ['/permission', 'role jane.roe@meshlab.de ADMIN for', /`for` needs a duration/],
      ['/permission', 'role jane.roe@meshlab.de ADMIN for 4x', /"4x" is not a duration/],
      ['/permission', 'role jane.roe@meshlab.de ADMIN for 0h', /"0h" is not a duration/],
      ['/permission', 'role jane.roe@meshlab.de ADMIN for -2h', /"-2h" is not a duration/],
      ['/permission', 'archive jane.roe@meshlab.de for 2h', /`\/permission archive` takes no duration/],
      ['/techuser', 'rotate etl-bot for 1d', /`\/techuser rotate` takes no duration/],
      ['/techuser', 'role etl-bot ADMIN for 1y', /"1y" is not a duration/],
    ];
    for (const [command, text, why] of cases) {
      const res = await t.command(ADMIN, text, command);
      expect(res.status).toBe(200);
      expect(res.json.response_type).toBe('ephemeral');
      expect(res.json.text, text).toMatch(why);
      expect(res.json.text).toContain('*Usage*');
      expect(res.json.text).toContain('for <duration>');
    }
    // Over the workspace's maximum (168 hours by default): refused before anyone is asked.
    const long = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN for 2w')).responseId);
    expect(long).toMatch(/at most 1 week \(168 hours\); 2 weeks is longer/);
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(posts);
    expect(await t.store.requests.listByWorkspace(WS_ID, { limit: 1000 })).toHaveLength(requests);
  });

  it('says how long in the approval message, and until when (in the reader\'s zone) once applied, with End now and Extend in the DM', async () => {
    const id = await ask('role jane.roe@meshlab.de ADMIN for 4h incident 42');
    const pending = (await t.store.requests.findById(id))!;
    expect(pending).toMatchObject({ kind: 'permission.role', params: { email: 'jane.roe@meshlab.de', role: 'ADMIN', minutes: 240 }, reason: 'incident 42' });
    const post = t.slack.callsTo('chat.postMessage').find((c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(id.slice(0, 8)))!;
    expect(post.args.blocks[0].text.text).toContain('Grant jane.roe@meshlab.de the role ADMIN for 4 hours from when it is applied, then back to the role they had');

    await approved(id);
    expect((await roleOf('jane.roe@meshlab.de')).role).toBe('ADMIN');
    const update = await t.slack.waitFor('chat.update', (c) => c.args.ts === pending.slack!.ts && /Applied/.test(JSON.stringify(c.args.blocks)));
    const status = update.args.blocks.find((b: any) => b.type === 'context').elements[0].text as string;
    expect(status).toMatch(/Applied: jane.roe@meshlab.de has the role ADMIN for 4 hours, until <!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC>; then MEMBER again\./);
    // The date token is the grant's end, to the minute.
    const until = (await roleOf('jane.roe@meshlab.de')).grant!.until;
    expect(Number(/<!date\^(\d+)/.exec(status)![1]) * 1000).toBe(Math.floor(until.getTime() / 60_000) * 60_000);

    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && String(c.args.text).includes(id.slice(0, 8)) && Array.isArray(c.args.blocks));
    expect(dm.args.text).toMatch(SLACK_DATE);
    const buttons = dm.args.blocks.find((b: any) => b.type === 'actions').elements;
    expect(buttons.map((b: any) => [b.action_id, b.value])).toEqual([[ids.GRANT_END_NOW, id], [ids.GRANT_EXTEND, id]]);
    await t.kw.grants.endNow(id, ADMIN); // leave jane as she was for the next tests
  });

  it('takes a duration from the /permission role form', async () => {
    const cmd = await commandOpeningForm(t, ADMIN, 'role', '/permission');
    const opened = await cmd.opened();
    const select = opened.args.view.blocks.find((b: any) => b.block_id === 'duration').element;
    expect(select.options.map((o: any) => o.value)).toEqual(['permanent', '1h', '4h', '1d', '3d', '1w']);
    expect(select.initial_option.value).toBe('permanent');
    const sent = await submitOpened(t, opened, ADMIN, { user: await pickPerson(t, opened.args.view, ADMIN, 'john.doe@meshlab.de'), role: { option: 'ADMIN' }, duration: { option: '1d' }, reason: null });
    expect(sent.text).toBe('');
    const reply = await t.answer(cmd.responseId);
    expect(reply).toMatch(/Grant john.doe@meshlab.de the role ADMIN for 1 day from when it is applied/);
    const id = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
    const r = (await t.store.requests.listByWorkspace(WS_ID, { limit: 1000 })).find((x) => x.id.startsWith(id))!;
    expect(r.params).toEqual({ email: 'john.doe@meshlab.de', role: 'ADMIN', minutes: 1440 });
  });

  it('shows a temporary-only role\'s refusal under the form\'s duration', async () => {
    const ws = (await t.store.workspaces.findById(WS_ID))!;
    await t.store.workspaces.upsert({ ...ws, policy: { ...ws.policy, temporaryOnlyRoles: ['ADMIN'] } });
    try {
      const opened = await (await commandOpeningForm(t, ADMIN, 'role', '/permission')).opened();
      const sent = await submitOpened(t, opened, ADMIN, { user: await pickPerson(t, opened.args.view, ADMIN, 'jane.roe@meshlab.de'), role: { option: 'ADMIN' }, duration: { option: 'permanent' }, reason: null });
      expect(sent.json).toEqual({ response_action: 'errors', errors: { duration: expect.stringMatching(/ADMIN may only be granted for a time: add "for <duration>" \(1 minute to 1 week\)/) } });
      const typed = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN')).responseId);
      expect(typed).toMatch(/ADMIN may only be granted for a time/);
    } finally {
      await t.store.workspaces.upsert(ws);
    }
  });
});

describe('End now', () => {
  it('refuses a stranger, lets the requester end it at once, and tells the requester once', async () => {
    const { id } = await granted('role jane.roe@meshlab.de ADMIN for 1d');
    const stranger = await t.click(ids.GRANT_END_NOW, id, OUTSIDER);
    expect(stranger.status).toBe(200);
    expect(await t.answer(stranger.responseId)).toMatch(/Only whoever asked for this grant, or an approver, can end it early/);
    expect((await roleOf('jane.roe@meshlab.de')).role).toBe('ADMIN');

    const own = await t.click(ids.GRANT_END_NOW, id, ADMIN);
    expect(await t.answer(own.responseId)).toBe('Ended: jane.roe@meshlab.de is MEMBER again.');
    expect(await roleOf('jane.roe@meshlab.de')).toMatchObject({ role: 'MEMBER', grant: null });
    const told = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && /was ended early by <@UADMIN1>/.test(String(c.args.text)));
    expect(told.args.text).toContain('jane.roe@meshlab.de is MEMBER again');
    expect(await t.store.history.findById(`${id}:end`)).toMatchObject({ action: 'permission.grant_ended', actor: { type: 'slack', id: ADMIN } });

    // A second click changes nothing more, and says so politely.
    expect(await t.answer((await t.click(ids.GRANT_END_NOW, id, ADMIN)).responseId)).toMatch(/already ended/);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === ADMIN && /was ended early/.test(String(c.args.text)) && String(c.args.text).includes(id.slice(0, 8)))).toHaveLength(1);
  });

  it('lets any approver end someone else\'s grant, of a technical user too', async () => {
    const { id } = await granted('role etl-bot MEMBER for 4h', ADMIN2, '/techuser');
    expect((await t.store.technicalUsers.findByName(WS_ID, 'etl-bot'))!.role).toBe('MEMBER');
    expect(await t.answer((await t.click(ids.GRANT_END_NOW, id, APPROVER1)).responseId)).toBe('Ended: etl-bot is VIEWER again. The requester has been told.');
    expect((await t.store.technicalUsers.findByName(WS_ID, 'etl-bot'))!).toMatchObject({ role: 'VIEWER', grant: null });
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN2 && /was ended early by <@UAPPR1>/.test(String(c.args.text)));
  });

  it('refuses a click from another Slack team as if there were no such grant', async () => {
    const { id } = await granted('role jane.roe@meshlab.de VIEWER for 1h');
    expect(await t.answer((await t.click(ids.GRANT_END_NOW, id, ADMIN2, { teamId: TEAM2 })).responseId)).toBe('There is no such grant.');
    expect((await roleOf('jane.roe@meshlab.de')).grant?.requestId).toBe(id);
    await t.kw.grants.endNow(id, ADMIN);
  });

  it('refuses a button whose value is not a grant id', async () => {
    const res = await t.click(ids.GRANT_END_NOW, 'not-a-uuid', ADMIN);
    expect(await t.answer(res.responseId)).toMatch(/does not name a grant/);
  });
});

describe('Extend', () => {
  it('opens a form with the extensions the maximum allows; its submission is an approval request that moves the end', async () => {
    const { id } = await granted('role jane.roe@meshlab.de ADMIN for 4h');
    const before = (await roleOf('jane.roe@meshlab.de')).grant!.until;

    const stranger = await clickWithTrigger(ids.GRANT_EXTEND, id, OUTSIDER);
    expect(await t.answer(stranger.responseId)).toMatch(/Only admins of workspace meshlab/);

    const click = await clickWithTrigger(ids.GRANT_EXTEND, id, ADMIN);
    const opened = await click.opened();
    expect(opened.args.view.callback_id).toBe(forms.GRANT_EXTEND);
    expect(JSON.stringify(opened.args.view.blocks[0])).toMatch(/jane.roe@meshlab.de\* has ADMIN until <!date/);
    // 168 h from now less the 4 h it still runs: a week does not fit any more, three days do.
    const select = opened.args.view.blocks.find((b: any) => b.block_id === 'duration').element;
    expect(select.options.map((o: any) => o.value)).toEqual(['1h', '4h', '1d', '3d']);

    const sent = await submitOpened(t, opened, ADMIN, { duration: { option: '1d' }, reason: 'the incident goes on' });
    expect(sent.text).toBe('');
    const reply = await t.answer(click.responseId);
    expect(reply).toMatch(/Extend the grant of jane.roe@meshlab.de by 1 day past its current end\) was sent to <#CAPPROVALS>/);
    const extendId = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
    const ext = (await t.store.requests.listByWorkspace(WS_ID, { limit: 1000 })).find((x) => x.id.startsWith(extendId))!;
    expect(ext).toMatchObject({ kind: 'permission.extend', params: { email: 'jane.roe@meshlab.de', grantId: id, minutes: 1440 }, requester: ADMIN, reason: 'the incident goes on' });

    await approved(ext.id);
    expect((await roleOf('jane.roe@meshlab.de')).grant!.until.getTime()).toBe(before.getTime() + 24 * HOUR);
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && String(c.args.text).includes(ext.id.slice(0, 8)) && /Applied/.test(String(c.args.text)));
    expect(dm.args.text).toMatch(/now ends <!date\^\d+/);

    // Once ended, Extend says so instead of opening a form.
    await t.kw.grants.endNow(id, ADMIN);
    const late = await clickWithTrigger(ids.GRANT_EXTEND, id, ADMIN);
    expect(await t.answer(late.responseId)).toMatch(/This grant has already ended; ask for a new one/);
  });

  it('answers in the form when the grant ended while it was open, asking nothing', async () => {
    const { id } = await granted('role jane.roe@meshlab.de VIEWER for 1h');
    const opened = await (await clickWithTrigger(ids.GRANT_EXTEND, id, ADMIN)).opened();
    await t.kw.grants.endNow(id, APPROVER1);
    const posts = t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === APPROVALS).length;
    const sent = await submitOpened(t, opened, ADMIN, { duration: { option: '1h' }, reason: null });
    expect(sent.json).toEqual({ response_action: 'errors', errors: { duration: 'This grant has already ended; ask for a new one.' } });
    expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === APPROVALS)).toHaveLength(posts);
  });
});

describe('seeing the active grants', () => {
  it('/permission grants lists them with the time left; /techuser grants only technical users; outsiders are refused', async () => {
    const { id } = await granted('role jane.roe@meshlab.de ADMIN for 3d');
    const { id: botGrant } = await granted('role etl-bot ADMIN for 90m', ADMIN, '/techuser');
    const list = await t.answer((await t.command(APPROVER1, 'grants')).responseId);
    expect(list).toMatch(/^\*Active grants in meshlab\*/);
    expect(list).toMatch(new RegExp(`• technical user etl-bot: ADMIN until ${SLACK_DATE.source} \\((89|90) minutes left\\), then VIEWER; asked by <@UADMIN1>, request ${botGrant.slice(0, 8)}`));
    expect(list).toMatch(new RegExp(`• jane.roe@meshlab.de: ADMIN until ${SLACK_DATE.source} \\(3 days left\\), then MEMBER; asked by <@UADMIN1>, request ${id.slice(0, 8)}`));
    expect(list.indexOf('etl-bot')).toBeLessThan(list.indexOf('jane.roe')); // soonest end first
    const bots = await t.answer((await t.command(ADMIN, 'grants', '/techuser')).responseId);
    expect(bots).toMatch(/^\*Active grants of technical users in meshlab\*/);
    expect(bots).not.toContain('jane.roe');
    expect(await t.answer((await t.command(OUTSIDER, 'grants')).responseId)).toMatch(/Only admins and approvers of meshlab can see its grants/);
  });

  it('shows them in the Home tab: approvers all of the workspace, admins their own, with End now', async () => {
    const { id: adminsGrant } = await granted('role john.doe@meshlab.de VIEWER for 1h', ADMIN2);
    const grantsIn = (view: any) => view.blocks.filter((b: any) => typeof b.block_id === 'string' && b.block_id.startsWith('grant:')).map((b: any) => b.block_id.slice('grant:'.length));
    const approverView = (await openHome(t, APPROVER1)).args.view;
    expect(JSON.stringify(approverView.blocks)).toContain('*Active grants* (soonest end first)');
    expect(grantsIn(approverView)).toContain(adminsGrant);
    const block = approverView.blocks.find((b: any) => b.block_id === `grant:${adminsGrant}`);
    expect(block.accessory).toMatchObject({ action_id: ids.GRANT_END_NOW, value: adminsGrant });
    expect(block.text.text).toMatch(SLACK_DATE);
    // ADMIN (an admin, not an approver) sees only the grants they asked for.
    const adminView = (await openHome(t, ADMIN)).args.view;
    expect(JSON.stringify(adminView.blocks)).toContain('*Your active grants*');
    expect(grantsIn(adminView)).not.toContain(adminsGrant);
    expect(grantsIn(adminView).length).toBeGreaterThan(0);
    for (const g of grantsIn(adminView)) expect((await t.store.requests.findById(g))!.requester).toBe(ADMIN);
    expect(approverView.blocks.length).toBeLessThanOrEqual(100);

    // End now from the Home tab: answered by the refreshed tab, which no longer lists the grant.
    expect((await clickInHome(t, ids.GRANT_END_NOW, adminsGrant, APPROVER1)).status).toBe(200);
    const refreshed = await t.slack.waitFor('views.publish', (c) => c.args.user_id === APPROVER1 && JSON.stringify(c.args.view.blocks).includes('Ended: john.doe@meshlab.de is MEMBER again. The requester has been told.'));
    expect(grantsIn(refreshed.args.view)).not.toContain(adminsGrant);
    expect((await roleOf('john.doe@meshlab.de')).grant).toBeNull();
  });
});
