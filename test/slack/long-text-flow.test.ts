/**
 * Typed text as long as it can be, through the real Bolt app and the fake Slack (which refuses
 * what Slack refuses): a description of 150 underscores is 3,600 characters once escaped, more
 * than a section holds. Before the fix the token DM with its Reveal button was refused at every
 * attempt, so its owner never saw the token and it was revoked at its deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { mrkdwnOf, renderMrkdwn } from '../helpers/mrkdwn.js';
import { ADMIN, APPROVALS, APPROVER1, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';

const clock = new TestClock();
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
});
afterAll(async () => {
  await t?.stop();
});

const inDays = (d: number) => new Date(clock.now().getTime() + d * 86_400_000).toISOString().slice(0, 10);

async function waitFor(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the longest typed text', () => {
  it('a technical user described by 150 underscores: the DM with its Reveal button reaches its owner', async () => {
    const description = '_'.repeat(150);
    const res = await t.command(ADMIN, `create wide-bot MEMBER ${inDays(90)} ${description}`, '/techuser');
    const answer = res.json?.text ?? (await t.answer(res.responseId));
    const short = /Request ([0-9a-f]{8})/.exec(answer)?.[1];
    expect(short, answer).toBeDefined();
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(short!));
    expect(post.failed).toBeFalsy();
    const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;

    await t.click(ids.APPROVE, id, APPROVER1);
    await waitFor(async () => (await t.store.requests.findById(id))?.status === 'APPLIED');
    expect((await t.store.technicalUsers.findByName(WS_ID, 'wide-bot'))?.description).toBe(description);

    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && JSON.stringify(c.args.blocks ?? []).includes(ids.REVEAL) && !c.failed);
    const section = dm.args.blocks[0].text.text as string;
    expect(section.length).toBeLessThanOrEqual(3000);
    // No DM was refused on its way (the fake refuses a section over 3,000 characters, as Slack does).
    expect(t.slack.callsTo('chat.postMessage').filter((c) => c.failed)).toEqual([]);
  });

  it('the longest command a person can type (2,000 characters, most of them underscores) is answered within a message\'s 40,000', async () => {
    const roles = Array.from({ length: 20 }, (_, i) => `r${i}${'_'.repeat(60)}`).join(',');
    const aces = ['a', 'b', 'c'].map((x) => `${x}${'_'.repeat(59)}`).join(',');
    const text = `create long-bot MEMBER ${inDays(90)} ${'_'.repeat(500)} roles:${roles} aces:${aces}`;
    expect(text.length).toBeLessThanOrEqual(2000);
    const res = await t.command(ADMIN, text, '/techuser');
    const answer = res.json?.text ?? (await t.answer(res.responseId));
    expect(answer).toMatch(/^Request [0-9a-f]{8} \(Create technical user long-bot/);
    expect(answer.length).toBeLessThanOrEqual(40_000);
    expect(t.slack.calls.filter((c) => c.failed)).toEqual([]);
  });

  it('mentions typed into a /techuser update description stay text in its outcome; the request\'s own stay live', async () => {
    const id = await approve(`create mention-bot MEMBER ${inDays(90)} plain`);
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && JSON.stringify(c.args).includes(id.slice(0, 8)));
    const from = t.slack.calls.length;
    const update = await approve('update mention-bot description:"ping <@UEVIL1> and <!subteam^SEVIL1> and <!channel>"');
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && JSON.stringify(c.args).includes(update.slice(0, 8)));
    await t.slack.waitFor('chat.update', (c) => JSON.stringify(c.args).includes('updated'));
    const live = t.slack.calls.slice(from).flatMap((c) => mrkdwnOf(c.args)).flatMap((m) => renderMrkdwn(m).live);
    expect(live.filter((l) => l.startsWith('<') && /EVIL|!channel/.test(l))).toEqual([]);
    // The requester and the approver are still mentioned.
    expect(live).toContain(`<@${ADMIN}>`);
    expect(live).toContain(`<@${APPROVER1}>`);
  });
});

/** Submits a /techuser command, approves it and waits until it is applied; returns its id. */
async function approve(text: string): Promise<string> {
  const res = await t.command(ADMIN, text, '/techuser');
  const answer = res.json?.text ?? (await t.answer(res.responseId));
  const short = /Request ([0-9a-f]{8})/.exec(answer)?.[1];
  if (!short) throw new Error(`not submitted: ${answer}`);
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(short));
  const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  await t.click(ids.APPROVE, id, APPROVER1);
  await waitFor(async () => (await t.store.requests.findById(id))?.status === 'APPLIED');
  return id;
}
