/**
 * Reviewing in Slack, through the real Bolt app, BullMQ and the fake Slack (its limits on): the DM's
 * button opens the reviewer's items in a modal (their own left out), Keep / Change role / Archive /
 * Keep all on this page decide, a change is applied once on the reviewer's authority with the
 * campaign in the subject's history, a second click or a second reviewer finds the item decided,
 * and nobody reviews their own permission.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVER1, APPROVER2, SIGNING_SECRET, startTestApp, TEAM, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { blockActionBody, postSigned, viewActionBody } from '../helpers/slack-requests.js';
import { openHome } from '../helpers/views.js';
import { REVIEW, reviewSeed } from '../helpers/access-reviews.js';

let t: TestApp;
beforeAll(async () => {
  const seed = reviewSeed();
  seed.workspaces[0]!.users.push(
    { email: 'ann.admin@meshlab.de', firstName: 'Ann', lastName: 'Admin', role: 'ADMIN', status: 'ACTIVE' } as never,
    { email: 'bob.admin@meshlab.de', firstName: 'Bob', lastName: 'Admin', role: 'ADMIN', status: 'ACTIVE' } as never,
  );
  t = await startTestApp({ seed, slack: { limits: true } });
  // APPROVER1 is Ann in Slack.
  t.slack.people.set(APPROVER1, 'Ann.Admin@meshlab.de');
});
afterAll(async () => {
  await t?.stop();
});

const campaign = async () => (await t.store.accessReviews.listCampaigns(WS_ID, { limit: 1 }))[0]!;
const itemOf = async (email: string) => (await t.store.accessReviews.findItemByEmail((await campaign()).id, email))!;
let view = { id: 'VREVIEW1', private_metadata: '' };
const inModal = async (user: string, actionId: string, value: string, selected = false) => {
  const before = t.slack.callsTo('views.update').length;
  // Each reviewer has their own modal open.
  const mine = { ...view, id: `${view.id}-${user}` };
  const res = await postSigned(t.kw.url!, viewActionBody({ actionId, value, userId: user, view: mine, selected }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  return t.slack.waitFor('views.update', (c) => t.slack.callsTo('views.update').indexOf(c) >= before && c.args.view_id === mine.id);
};
const notice = (call: { args: any }) => JSON.stringify(call.args.view.blocks[1]);

async function waitFor<T>(what: () => Promise<T | null | undefined | false>, label: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await what();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${label}`);
}

describe('reviewing in Slack', () => {
  it('tells each reviewer how many items are theirs, and opens them in a modal without their own', async () => {
    const dm1 = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER1 && String(c.args.text).includes(REVIEW), 10_000);
    const dm2 = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER2 && String(c.args.text).includes(REVIEW), 10_000);
    expect(dm1.args.text).toContain(`${REVIEW}: 3 items to review`); // Ann, Bob, Jane, John less Ann herself
    expect(dm2.args.text).toContain(`${REVIEW}: 4 items to review`);
    const c = await campaign();
    const triggerId = `${randomUUID()}.trigger`;
    await postSigned(t.kw.url!, blockActionBody({ actionId: ids.ACCESS_REVIEW_OPEN, value: c.id, userId: APPROVER1, teamId: TEAM, responseUrl: t.slack.responseUrl('open-1'), channelId: 'DAPPR1', triggerId }), { secret: SIGNING_SECRET });
    const opened = await t.slack.waitFor('views.open', (x) => x.args.trigger_id === triggerId);
    const modal = JSON.stringify(opened.args.view.blocks);
    expect(modal).toContain('bob.admin@meshlab.de');
    expect(modal).toContain('jane.roe@meshlab.de');
    expect(modal).not.toContain('ann.admin@meshlab.de');
    expect(modal).toContain('3 items left to review');
    expect(opened.args.view.blocks.length).toBeLessThanOrEqual(100);
    view = { id: 'VREVIEW1', private_metadata: opened.args.view.private_metadata };
  });

  it('refuses a reviewer their own item, even by a forged click', async () => {
    const ann = await itemOf('ann.admin@meshlab.de');
    const answer = await inModal(APPROVER1, ids.ACCESS_REVIEW_KEEP, ann.id);
    expect(notice(answer)).toContain('You cannot review a change of your own permission');
    expect((await itemOf('ann.admin@meshlab.de')).decision).toBeNull();
  });

  it('changes a role on the reviewer\'s authority once, however often and by whomever it is clicked, with the campaign in the history', async () => {
    const bob = await itemOf('bob.admin@meshlab.de');
    const [a, b] = await Promise.all([
      inModal(APPROVER1, ids.ACCESS_REVIEW_ROLE, `${bob.id}|MEMBER`, true),
      inModal(APPROVER2, ids.ACCESS_REVIEW_ROLE, `${bob.id}|VIEWER`, true),
    ]);
    const texts = [notice(a), notice(b)];
    expect(texts.filter((x) => x.includes('is being changed to')).length).toBe(1);
    expect(texts.filter((x) => x.includes('was already reviewed')).length).toBe(1);
    const decided = (await itemOf('bob.admin@meshlab.de')).decision!;
    const request = await waitFor(async () => {
      const r = await t.store.requests.findById(decided.requestId!);
      return r?.status === 'APPLIED' && r;
    }, 'the change applied');
    expect(request.source).toMatchObject({ type: 'accessReview', name: REVIEW });
    expect(request.approvals.map((x) => x.by)).toEqual([decided.by]);
    // A second click on the decided item changes nothing more.
    expect(notice(await inModal(decided.by, ids.ACCESS_REVIEW_ROLE, `${bob.id}|ADMIN`, true))).toContain('was already reviewed');
    const user = (await t.store.users.findByEmail('bob.admin@meshlab.de'))!;
    const p = (await t.store.permissions.find(WS_ID, user.id))!;
    expect(p.role).toBe(decided.role);
    const lines = await t.store.history.listBySubject('permission', p.id, 10);
    expect(lines.filter((l) => l.action === 'permission.updated')).toHaveLength(1);
    const line = lines.find((l) => l.action === 'accessReview.change')!;
    expect(line.actor).toEqual({ type: 'slack', id: decided.by });
    expect(line.reason).toContain(`Access review ${REVIEW} (campaign ${(await campaign()).id})`);
  });

  it('archives once when two reviewers click at the same moment; Keep all on this page keeps the rest (recorded as such)', async () => {
    const jane = await itemOf('jane.roe@meshlab.de');
    await Promise.all([inModal(APPROVER1, ids.ACCESS_REVIEW_ARCHIVE, jane.id), inModal(APPROVER2, ids.ACCESS_REVIEW_ARCHIVE, jane.id)]);
    const d = (await itemOf('jane.roe@meshlab.de')).decision!;
    await waitFor(async () => (await t.store.requests.findById(d.requestId!))?.status === 'APPLIED', 'archived');
    const user = (await t.store.users.findByEmail('jane.roe@meshlab.de'))!;
    expect((await t.store.permissions.find(WS_ID, user.id))!.status).toBe('ARCHIVED');
    const c = await campaign();
    const kept = await inModal(APPROVER2, ids.ACCESS_REVIEW_KEEP_PAGE, `${c.id}|0|4`);
    expect(notice(kept)).toContain('Kept 2 items of this page.');
    expect((await itemOf('ann.admin@meshlab.de')).decision).toMatchObject({ verdict: 'keep', how: 'page', by: APPROVER2 });
    expect(await t.store.accessReviews.countItems(c.id)).toEqual({ total: 4, keep: 2, change: 1, archive: 1, unreviewed: 0, undecided: 0 });
  });

  it('shows a reviewer\'s open items on the Home tab, within 100 blocks', async () => {
    expect(await t.answer((await t.command(APPROVER1, `review stop ${REVIEW}`)).responseId)).toMatch(/stopped/);
    expect(await t.answer((await t.command(ADMIN, `review start ${REVIEW}`)).responseId)).toMatch(/started/);
    const home = await openHome(t, APPROVER1);
    const blocks = JSON.stringify(home.args.view.blocks);
    expect(blocks).toContain(`*${REVIEW}* (workspace meshlab)`);
    expect(blocks).toContain(ids.ACCESS_REVIEW_KEEP);
    expect(blocks).not.toContain('ann.admin@meshlab.de');
    expect(home.args.view.blocks.length).toBeLessThanOrEqual(100);
  });
});
