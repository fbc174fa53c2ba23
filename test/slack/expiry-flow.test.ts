/**
 * Expiry warnings end to end: the notification channel is warned with Rotate and Extend buttons,
 * and each button opens an ordinary approval request in the clicker's name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, APPROVALS, APPROVER1, OUTSIDER, startTestApp, TEAM2, WS_ID, type TestApp } from '../helpers/keywarden.js';

const DAY = 86_400_000;
const clock = new TestClock();
let t: TestApp;
let techUserId: string;

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
  const expiry = new Date(clock.now().getTime() + 40 * DAY).toISOString().slice(0, 10);
  const sent = await t.command(ADMIN, `create nightly-import MEMBER ${expiry}`, '/techuser');
  await t.answer(sent.responseId);
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
  const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  await t.click(ids.APPROVE, requestId, APPROVER1);
  await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && JSON.stringify(c.args.blocks ?? []).includes(ids.REVEAL));
  // Revealed, so the token is not revoked as unrevealed when the clock moves on by weeks.
  await t.answer((await t.click(ids.REVEAL, requestId, ADMIN)).responseId);
  techUserId = (await t.store.technicalUsers.findByName(WS_ID, 'nightly-import'))!.id;
});
afterAll(async () => {
  await t?.stop();
});

const warnings = () => t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'CNOTIFY');

/**
 * Scans and waits until `n` warnings were posted in all. The workers' own scheduled scan may get
 * there first, so the test counts warnings (exactly n: never twice) rather than scan results.
 */
async function scanUntil(n: number) {
  await t.kw.expiry.scanTokens();
  const end = Date.now() + 5000;
  while (warnings().length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  expect(warnings().map((c) => c.args.text)).toHaveLength(n);
}

/** Moves the clock to `days` before the token expires, plus a minute. */
async function moveTo(days: number) {
  const expiresAt = (await t.store.technicalUsers.findById(techUserId))!.token!.expiresAt.getTime();
  clock.advance(expiresAt - days * DAY + 60_000 - clock.now().getTime());
}

describe('expiry warnings in the notification channel', () => {
  it('warns at 30 days, once, with the technical user, role, date, time left and both buttons', async () => {
    await scanUntil(0);
    await moveTo(30);
    await scanUntil(1);
    await scanUntil(1);
    const [warning] = warnings();
    expect(warning!.args.text).toMatch(/nightly-import \(MEMBER\) in meshlab expires \d{4}-\d{2}-\d{2} \(in 30 days\)/);
    const buttons = warning!.args.blocks.find((b: any) => b.type === 'actions').elements;
    expect(buttons.map((b: any) => [b.action_id, b.value])).toEqual([[ids.ROTATE_TOKEN, techUserId], [ids.EXTEND_TOKEN, techUserId]]);
  });

  it('Extend opens an expiry request 90 days past the current date, in the clicker\'s name', async () => {
    const tu = (await t.store.technicalUsers.findById(techUserId))!;
    const current = new Date(tu.token!.expiresAt.getTime() - 1);
    const wanted = new Date(current.getTime() + 90 * DAY).toISOString().slice(0, 10);
    const click = await t.click(ids.EXTEND_TOKEN, techUserId, ADMIN);
    expect(await t.answer(click.responseId)).toMatch(/sent to <#CAPPROVALS> for approval/);
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(`to ${wanted}`));
    expect(JSON.stringify(post.args.blocks)).toContain('Opened from an expiry warning.');
  });

  it('Rotate opens a rotation request; people who may not request, and other teams, are refused', async () => {
    const click = await t.click(ids.ROTATE_TOKEN, techUserId, ADMIN);
    expect(await t.answer(click.responseId)).toMatch(/Replace the API token of technical user nightly-import/);
    expect(await t.answer((await t.click(ids.ROTATE_TOKEN, techUserId, OUTSIDER)).responseId)).toMatch(/Only admins of workspace meshlab/);
    expect(await t.answer((await t.click(ids.EXTEND_TOKEN, techUserId, ADMIN, { teamId: TEAM2 })).responseId)).toMatch(/no longer exists/);
    expect(await t.answer((await t.click(ids.EXTEND_TOKEN, 'not-a-uuid', ADMIN)).responseId)).toMatch(/does not name a technical user/);
  });

  it('warns at 7 days, then at expiry, and then no more', async () => {
    await moveTo(7);
    await scanUntil(2);
    await moveTo(0);
    await scanUntil(3);
    const texts = warnings().map((c) => c.args.text as string);
    expect(texts[1]).toMatch(/\(in 7 days\)/);
    expect(texts[2]).toMatch(/expired .* integrations using it are refused/);
    clock.advance(30 * DAY);
    await scanUntil(3);
  });
});
