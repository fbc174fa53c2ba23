/**
 * The App Home through the real Bolt app: signed app_home_opened events, views.publish recorded
 * by the fake Slack Web API, and decisions made from the Home tab's buttons (no response_url).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import { forms } from '../../src/slack/forms/ids.js';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, OUTSIDER, SIGNING_SECRET, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { appHomeOpenedBody, postSigned } from '../helpers/slack-requests.js';
import { clickInHome, openHome, submitOpened } from '../helpers/views.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const DAY = 86_400_000;
const text = (view: any) => JSON.stringify(view.blocks);
const actionsFor = (view: any, requestId: string) => view.blocks.find((b: any) => b.type === 'actions' && b.block_id === `decision:${requestId}`);

async function ask(commandText: string, requester = ADMIN): Promise<string> {
  const sent = await t.command(requester, commandText);
  const reply = await t.answer(sent.responseId);
  expect(reply, commandText).toMatch(/sent to <#CAPPROVALS> for approval/);
  const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short));
  return post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
}

function techUser(userName: string, expiresInDays: number): TechnicalUser {
  const now = Date.now();
  return {
    id: crypto.randomUUID(), workspaceId: WS_ID, userName, description: '', role: 'VIEWER', customerRoles: [], accessControlEntities: [],
    token: {
      hash: crypto.randomUUID().replaceAll('-', ''), lastFour: userName.slice(0, 4), createdAt: new Date(now), expiresAt: new Date(now + expiresInDays * DAY),
      revealBy: null, revokedAt: null, nextWarningAt: null, lastWarnedDays: null,
    },
    createdAt: new Date(now), version: 0, lastRequestId: null,
  };
}

describe('App Home', () => {
  it('shows an approver the pending requests with the approval message\'s buttons, and technical users by expiry', async () => {
    for (const [name, days] of [['later-bot', 200], ['soon-bot', 3], ['middle-bot', 40]] as const) {
      expect(await t.store.technicalUsers.insert(techUser(name, days))).toBe(true);
    }
    const id = await ask('role jane.roe@meshlab.de VIEWER so she only reads');
    const publish = await openHome(t, APPROVER1);
    const view = publish.args.view;
    expect(view.type).toBe('home');
    expect(text(view)).toContain('Change the role of jane.roe@meshlab.de to VIEWER');
    expect(text(view)).toContain('Reason: so she only reads');
    // The same action ids and value as the approval message, so the same listeners decide.
    expect(actionsFor(view, id).elements.map((e: any) => [e.action_id, e.value])).toEqual([[ids.APPROVE, id], [ids.REJECT, id]]);
    // An approver who is not an admin sees no "your requests" list.
    expect(text(view)).not.toContain('Your recent requests');
    const tus = view.blocks.find((b: any) => b.type === 'section' && b.text.text.startsWith('*Technical users*')).text.text as string;
    expect(tus.indexOf('soon-bot')).toBeLessThan(tus.indexOf('middle-bot'));
    expect(tus.indexOf('middle-bot')).toBeLessThan(tus.indexOf('later-bot'));
    expect(tus).toMatch(/soon-bot\* \(VIEWER\): token …soon expires \d{4}-\d{2}-\d{2} \(in 3 days\)/);
  });

  it('shows an admin their own requests and their status; one who also approves does not find it among those to decide', async () => {
    const id = await ask('role max.muster@meshlab.de MEMBER', ADMIN2);
    const view = (await openHome(t, ADMIN2)).args.view;
    expect(text(view)).toContain('Your recent requests');
    expect(text(view)).toMatch(/Change the role of max.muster@meshlab.de to MEMBER — \*PENDING\*/);
    expect(actionsFor(view, id)).toBeUndefined();
    // The pending list holds only what they may decide: never their own request.
    expect(text(view)).not.toContain('This is your request');
    expect(text(view).match(/Change the role of max.muster@meshlab.de to MEMBER/g)).toHaveLength(1); // in their own list only
    // A plain admin (not an approver) sees their requests but no pending list to decide.
    const adminView = (await openHome(t, ADMIN)).args.view;
    expect(text(adminView)).toContain('Your recent requests');
    expect(text(adminView)).not.toContain('*Pending requests*');
  });

  it('tells someone with no part in any workspace that there is nothing here, and ignores the Messages tab', async () => {
    expect(text((await openHome(t, OUTSIDER)).args.view)).toContain('not an admin or approver of any Keywarden workspace');
    const before = t.slack.callsTo('views.publish').length;
    const res = await postSigned(t.kw.url!, appHomeOpenedBody({ userId: APPROVER1, tab: 'messages' }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.slack.callsTo('views.publish')).toHaveLength(before);
  });

  it('approves from the Home tab: the request is decided and the Home tab is published again with the answer', async () => {
    const id = await ask('role jane.roe@meshlab.de ADMIN');
    await openHome(t, APPROVER2);
    const before = t.slack.callsTo('views.publish').length;
    expect((await clickInHome(t, ids.APPROVE, id, APPROVER2)).status).toBe(200);
    const republished = await t.slack.waitFor('views.publish', (c) => c.args.user_id === APPROVER2 && t.slack.callsTo('views.publish').indexOf(c) >= before);
    expect(text(republished.args.view)).toContain('Approved. The change is being applied');
    expect(actionsFor(republished.args.view, id)).toBeUndefined();
    expect((await t.store.requests.findById(id))!.decidedBy).toBe(APPROVER2);
  });

  it('rejects from the Home tab through the reason form; the Home tab is the answer', async () => {
    const id = await ask('invite someone@meshlab.de VIEWER');
    const triggerId = `home-${crypto.randomUUID()}`;
    expect((await clickInHome(t, ids.REJECT, id, APPROVER1, { triggerId })).status).toBe(200);
    const opened = await t.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    expect(opened.args.view.callback_id).toBe(forms.REJECT);
    expect(JSON.parse(opened.args.view.private_metadata)).toEqual({ requestId: id, fromHome: true });
    const before = t.slack.callsTo('views.publish').length;
    expect((await submitOpened(t, opened, APPROVER1, { reason: 'we do not invite by Slack' })).text).toBe('');
    const republished = await t.slack.waitFor('views.publish', (c) => c.args.user_id === APPROVER1 && t.slack.callsTo('views.publish').indexOf(c) >= before);
    expect(text(republished.args.view)).toContain('Rejected. The requester has been told.');
    expect(await t.store.requests.findById(id)).toMatchObject({ status: 'REJECTED', outcome: 'we do not invite by Slack' });
  });

  it('answers a refused Home click in the Home tab too', async () => {
    const id = await ask('role john.doe@meshlab.de ADMIN', ADMIN2);
    const before = t.slack.callsTo('views.publish').length;
    await clickInHome(t, ids.APPROVE, id, ADMIN2);
    const republished = await t.slack.waitFor('views.publish', (c) => c.args.user_id === ADMIN2 && t.slack.callsTo('views.publish').indexOf(c) >= before);
    expect(text(republished.args.view)).toContain('cannot decide your own request');
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
  });
});
