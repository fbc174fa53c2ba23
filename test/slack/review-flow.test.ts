/**
 * Reviews of technical users end to end, through the real Bolt app: the owner's DM with Keep,
 * Delete and Transfer; Keep rewrites the question without its buttons; Delete opens a delete
 * request; Transfer opens the owner form, whose submission opens a `/techuser owner` request;
 * `/techuser list` shows the owner and the unreviewed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { forms } from '../../src/slack/forms/ids.js';
import { technicalUser } from '../store/contract.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, APPROVALS, APPROVER1, SIGNING_SECRET, startTestApp, TEAM, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { blockActionBody, postSigned } from '../helpers/slack-requests.js';
import { submitOpened } from '../helpers/views.js';

const DAY = 86_400_000;
const OWNER = 'UOWNER1';
const clock = new TestClock();
let t: TestApp;
let tuId: string;

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
  const tu = technicalUser({ workspaceId: WS_ID, userName: 'hr-sync', createdAt: clock.now() });
  await t.store.technicalUsers.insert(tu);
  await t.kw.reviews.adopt(tu, OWNER);
  tuId = tu.id;
});
afterAll(async () => {
  await t?.stop();
});

const questions = () => t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === OWNER);

describe('the review of a technical user in Slack', () => {
  it('asks the owner by DM, with the role, last use, token expiry and three buttons', async () => {
    clock.advance(90 * DAY + 60_000);
    await t.kw.reviews.scan();
    const q = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === OWNER);
    expect(q.args.text).toMatch(/^:mag: Is technical user hr-sync in meshlab \(MEMBER, never used since Keywarden started watching, token expire[sd] \d{4}-\d{2}-\d{2}.*\) still needed\?$/);
    const buttons = q.args.blocks.find((b: any) => b.type === 'actions').elements;
    expect(buttons.map((b: any) => [b.action_id, b.value])).toEqual([[ids.REVIEW_KEEP, tuId], [ids.REVIEW_DELETE, tuId], [ids.REVIEW_TRANSFER, tuId]]);
    await t.kw.reviews.scan();
    expect(questions()).toHaveLength(1);
  });

  it('Keep by someone else is refused; by the owner it rewrites the question without buttons and starts a new period', async () => {
    expect(await t.answer((await t.click(ids.REVIEW_KEEP, tuId, 'USTRANGER')).responseId)).toMatch(/Only the owner of hr-sync or an admin/);
    const click = await t.click(ids.REVIEW_KEEP, tuId, OWNER);
    const answer = await t.slack.waitFor('response_url', (c) => c.args.responseId === click.responseId);
    expect(answer.args).toMatchObject({ replace_original: true, text: expect.stringMatching(/<@UOWNER1> confirmed that technical user \*hr-sync\* is still needed/) });
    const rec = (await t.store.ownership.findById(tuId))!;
    expect(rec).toMatchObject({ stage: 'waiting', lastReviewedBy: OWNER, askedAt: null });
    expect(clock.now().getTime() - rec.periodStart.getTime()).toBeLessThan(5000);
  });

  it('Delete opens an ordinary delete request in the clicker\'s name', async () => {
    const click = await t.click(ids.REVIEW_DELETE, tuId, ADMIN);
    expect(await t.answer(click.responseId)).toMatch(/Delete technical user hr-sync/);
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes('Delete technical user hr-sync'));
    expect(JSON.stringify(post.args.blocks)).toContain('No longer needed (from its review).');
  });

  it('Transfer opens the owner form; its submission opens a transfer request, approved and applied', async () => {
    const triggerId = `${randomUUID()}.trigger`;
    await postSigned(t.kw.url!, blockActionBody({
      actionId: ids.REVIEW_TRANSFER, value: tuId, userId: ADMIN, teamId: TEAM, responseUrl: t.slack.responseUrl('transfer'), channelId: OWNER, triggerId,
    }), { secret: SIGNING_SECRET });
    const opened = await t.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    expect(opened.args.view.callback_id).toBe(forms.TECHUSER_OWNER);
    const res = await submitOpened(t, opened, ADMIN, { username: 'hr-sync', owner: { user: 'UNEWOWNER' }, reason: 'team change' });
    expect(res.status).toBe(200);
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes('New owner: <@UNEWOWNER>'));
    const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
    await t.click(ids.APPROVE, requestId, APPROVER1);
    const end = Date.now() + 5000;
    while ((await t.store.ownership.findById(tuId))?.owner !== 'UNEWOWNER' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(await t.store.ownership.findById(tuId)).toMatchObject({ owner: 'UNEWOWNER', ownerSource: 'transfer' });
  });

  it('/techuser owner with a plain @name is refused with how to mention; list shows the owner and the unreviewed', async () => {
    const sent = await t.command(ADMIN, 'owner hr-sync @jane', '/techuser');
    expect(sent.json?.text).toMatch(/mention the new owner with @/);
    const rec = (await t.store.ownership.findById(tuId))!;
    await t.store.ownership.update(tuId, rec.version, { stage: 'escalated', nextAt: null });
    const list = await t.command(ADMIN, 'list', '/techuser');
    expect(await t.answer(list.responseId)).toMatch(/\*hr-sync\* \(MEMBER\).*owner <@UNEWOWNER>, :warning: \*unreviewed\*/);
  });
});
