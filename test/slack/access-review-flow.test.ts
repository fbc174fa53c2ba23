/**
 * Access-review campaigns through the real Bolt app, BullMQ's maintenance job and the fake Slack
 * (its limits on): started by schedule once however often the job runs, reported, refused while
 * open, stopped by an approver (undecided left unreviewed, the channels told), started by command.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, APPROVER1, APPROVER2, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { REVIEW, reviewSeed } from '../helpers/access-reviews.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ seed: reviewSeed(), slack: { limits: true } });
});
afterAll(async () => {
  await t?.stop();
});

const say = async (user: string, text: string) => t.answer((await t.command(user, text)).responseId);
const dmsTo = (user: string) => t.slack.delivered('chat.postMessage', (c) => c.args.channel === user && String(c.args.text).includes(REVIEW));

describe('access-review campaigns', () => {
  it('starts by schedule once, with one DM to each reviewer naming their items and the due date', async () => {
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER1 && String(c.args.text).includes(REVIEW), 10_000);
    expect(dm.args.text).toMatch(new RegExp(`${REVIEW}: 2 items to review by <!date\\^\\d+\\^\\{date_short\\}\\|\\d{4}-\\d{2}-\\d{2}>`));
    expect(JSON.stringify(dm.args.blocks)).toContain('keywarden.accessreview.open');
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER2 && String(c.args.text).includes(REVIEW));
    // The job runs every 500 ms: a few more runs start nothing more and send nothing more.
    await new Promise((r) => setTimeout(r, 1500));
    expect(dmsTo(APPROVER1)).toHaveLength(1);
    expect((await t.store.accessReviews.listCampaigns(WS_ID, { limit: 10 }))).toHaveLength(1);
    const status = await say(ADMIN, 'review status');
    expect(status).toContain(`*${REVIEW}* (open, due`);
    expect(status).toContain('started');
    expect(status).toContain('by schedule): 2 items: 0 kept, 0 changed, 0 archived, 0 unreviewed, 2 undecided.');
    expect(await say(ADMIN, `review start ${REVIEW}`)).toMatch(/is already open/);
    expect(await say(ADMIN, 'review start yearly')).toMatch(/has no access review named "yearly" \(it has quarterly-members\)/);
    // Usage errors are answered in the ack itself.
    expect((await t.command(ADMIN, 'review frobnicate')).json?.text).toMatch(/is not a review command/);
  });

  it('is stopped by an approver only; undecided items are left unreviewed, the channels get the summary', async () => {
    expect(await say(ADMIN, `review stop ${REVIEW}`)).toMatch(/Only approvers of meshlab can stop/);
    expect(await say(APPROVER1, `review stop ${REVIEW}`)).toMatch(/stopped; its undecided items are left unreviewed/);
    const summary = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes(`Access review ${REVIEW}`));
    expect(summary.args.text).toContain(`stopped by <@${APPROVER1}>: 2 items, 0 kept, 0 changed, 0 archived, 2 left unreviewed.`);
    expect(await say(APPROVER1, `review status ${REVIEW}`)).toContain('2 unreviewed, 0 undecided');
    const lines = await t.store.history.listByWorkspace(WS_ID, { afterSeq: 0, limit: 100 });
    expect(lines.map((l) => l.action).filter((a) => a.startsWith('accessReview.'))).toEqual(['accessReview.started', 'accessReview.unreviewed', 'accessReview.unreviewed', 'accessReview.stopped']);
  });

  it('starts again by command (admins and approvers), and the schedule does not start a second one in its period', async () => {
    expect(await say('UOUTSIDER', `review start ${REVIEW}`)).toMatch(/Only admins and approvers of meshlab can start/);
    expect(await say(ADMIN, `review start ${REVIEW}`)).toMatch(/started: 2 items, due/);
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER2 && String(c.args.text).includes(REVIEW) && dmsTo(APPROVER2).indexOf(c) === 1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await t.store.accessReviews.listCampaigns(WS_ID, { limit: 10 })).toHaveLength(2);
    expect(await say(ADMIN, 'review status')).toContain(`by <@${ADMIN}>): 2 items`);
  });
});
