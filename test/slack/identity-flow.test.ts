/**
 * Who is who, through the real Bolt app and the fake Slack: a decider's email from users.info
 * (cached, forgotten on user_change, asked again after an hour), the seed's slackUsers winning,
 * nobody approving, rejecting or reviewing a change of their own permission, a Slack that cannot
 * say refusing the click, and the person whose access changed told by DM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, SIGNING_SECRET, startTestApp, testSeed, type TestApp } from '../helpers/keywarden.js';
import { postSigned, userChangeBody } from '../helpers/slack-requests.js';
import { rejectWithReason } from '../helpers/views.js';
import { requestWithStatus } from '../helpers/wait.js';

let t: TestApp;
const clock = new TestClock();
beforeAll(async () => {
  const seed = testSeed();
  // The seed says APPROVER2 is Max, whatever Slack says (uappr2@example.com by default).
  (seed.workspaces[0] as Record<string, unknown>).slackUsers = { [APPROVER2]: 'max.muster@meshlab.de' };
  // Pat is known to nobody on Slack until Keywarden asks (the last test).
  (seed.workspaces[0] as { users: unknown[] }).users.push({ email: 'pat.doe@meshlab.de', firstName: 'Pat', lastName: 'Doe', role: 'VIEWER', status: 'ACTIVE' });
  t = await startTestApp({ seed, options: { clock } });
  // Slack holds Jane's email as she typed it: matched case-insensitively.
  t.slack.people.set(APPROVER1, 'Jane.Roe@MeshLab.de');
});
afterAll(async () => {
  await t?.stop();
});

async function ask(text: string) {
  const reply = await t.answer((await t.command(ADMIN, text)).responseId);
  const short = /Request ([0-9a-f]{8})/.exec(reply)?.[1];
  expect(short, reply).toBeDefined();
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short!));
  return { id: post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string, blocks: JSON.stringify(post.args.blocks) };
}
const click = async (id: string, user: string) => t.answer((await t.click(ids.APPROVE, id, user)).responseId);
const infoCalls = (user: string) => t.slack.callsTo('users.info').filter((c) => c.args.user === user).length;

const waitForStatus = (id: string, status: string) => requestWithStatus(t.store, id, status, 10_000);

describe('nobody decides a change of their own permission', () => {
  it('refuses the approver whose Slack email is the subject, names them on the message, and tells the subject by DM once applied', async () => {
    // APPROVER1 decides something first: Keywarden then knows who they are without asking Slack at submit.
    const warmUp = await ask('role john.doe@meshlab.de VIEWER');
    expect(warmUp.blocks).not.toContain('may not decide this request');
    expect(await click(warmUp.id, APPROVER1)).toMatch(/^Approved/);
    const { id, blocks } = await ask('role jane.roe@meshlab.de ADMIN');
    expect(blocks).toContain(`<@${APPROVER1}> may not decide this request: it changes their own permission.`);
    expect(await click(id, APPROVER1)).toMatch(/You cannot approve a change of your own permission \(jane\.roe@meshlab\.de is you\)/);
    expect((await t.store.requests.findById(id))!.approvals).toEqual([]);
    // Rejecting is deciding too.
    const rejected = await rejectWithReason(t, id, APPROVER1, 'I would rather not');
    expect(await t.answer(rejected.responseId)).toMatch(/You cannot reject a change of your own permission/);
    expect(await click(id, ADMIN2)).toMatch(/^Approved/);
    await waitForStatus(id, 'APPLIED');
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER1 && String(c.args.text).includes('Your permission'));
    expect(dm.args.text).toContain('Your permission in workspace *meshlab* changed: Change the role of jane.roe@meshlab.de to ADMIN.');
    expect(dm.args.text).toContain(`Asked by <@${ADMIN}>, approved by <@${ADMIN2}>.`);
    expect(t.slack.delivered('chat.postMessage', (c) => c.args.channel === APPROVER1 && String(c.args.text).includes('Your permission'))).toHaveLength(1);
  });

  it('lets the seed\'s slackUsers win over Slack: the mapped approver is refused on the mapped person\'s permission', async () => {
    const { id, blocks } = await ask('role max.muster@meshlab.de MEMBER');
    expect(blocks).toContain(`<@${APPROVER2}> may not decide this request`);
    expect(await click(id, APPROVER2)).toMatch(/your own permission \(max\.muster@meshlab\.de is you\)/);
    expect(infoCalls(APPROVER2)).toBe(0); // the seed answered; Slack was not asked
    expect(await click(id, APPROVER1)).toMatch(/^Approved/);
  });

  it('refuses, and says why, when Slack cannot say who the approver is; the failure is not cached', async () => {
    const { id } = await ask('role john.doe@meshlab.de ADMIN');
    t.slack.failNext('users.info', { error: 'fatal_error' });
    const before = infoCalls(ADMIN2);
    // ADMIN2 may be cached from the first test: an hour later the cache asks Slack again.
    clock.advance(3600_000 + 1000);
    expect(await click(id, ADMIN2)).toMatch(/could not establish who you are from Slack \(Slack did not answer\).*Try again in a minute/);
    expect((await t.store.requests.findById(id))!.approvals).toEqual([]);
    expect(await click(id, ADMIN2)).toMatch(/^Approved/);
    expect(infoCalls(ADMIN2)).toBe(before + 2);
    await waitForStatus(id, 'APPLIED');
  });

  it('asks Slack once an hour, and again at once after user_change: a changed email is the person it now names', async () => {
    const first = await ask('role jane.roe@meshlab.de MEMBER');
    const calls = infoCalls(APPROVER1);
    expect(await click(first.id, APPROVER1)).toMatch(/your own permission/);
    expect(await click(first.id, APPROVER1)).toMatch(/your own permission/);
    expect(infoCalls(APPROVER1)).toBeLessThanOrEqual(calls + 1);
    const cached = infoCalls(APPROVER1);
    // Slack says APPROVER1 is now someone else; the event reaches Keywarden, which forgets the cache.
    t.slack.people.set(APPROVER1, 'someone.else@meshlab.de');
    const res = await postSigned(t.kw.url!, userChangeBody({ userId: APPROVER1, email: 'someone.else@meshlab.de' }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(res.status).toBe(200);
    // Bolt acks an event before its listener runs: wait until Keywarden has heard it.
    for (let i = 0; i < 400 && !t.logs.text.includes('Slack user changed'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await click(first.id, APPROVER1)).toMatch(/^Approved/);
    expect(infoCalls(APPROVER1)).toBe(cached + 1);
    await waitForStatus(first.id, 'APPLIED');
  });
});

describe('the person whose access changed, found on Slack in the outbound path', () => {
  it('waits out Slack\'s 429s on users.lookupByEmail however many, and tells the subject once', async () => {
    // Nobody has told Keywarden who pat is: the apply cannot know without asking Slack, and asks
    // in the outbound path, which paces users.lookupByEmail and waits out each 429 in its own time.
    const PAT = 'UPAT0001';
    t.slack.people.set(PAT, 'pat.doe@meshlab.de');
    t.slack.failNext('users.lookupByEmail', { status: 429, retryAfter: 1, times: 3, match: (a) => a.email === 'pat.doe@meshlab.de' });
    const lookups = () => t.slack.callsTo('users.lookupByEmail').filter((c) => c.args.email === 'pat.doe@meshlab.de');
    const { id } = await ask('role pat.doe@meshlab.de MEMBER');
    expect(await click(id, ADMIN2)).toMatch(/^Approved/);
    await waitForStatus(id, 'APPLIED');
    const toPat = (c: { args: Record<string, any> }) => c.args.channel === PAT && String(c.args.text).includes('Your permission');
    const dm = await t.slack.waitFor('chat.postMessage', toPat, 15_000);
    expect(dm.args.text).toContain('Change the role of pat.doe@meshlab.de to MEMBER');
    // Refused three times (past what a call's own retries would wait), asked again after each Retry-After, told once.
    expect(lookups().filter((c) => c.failed)).toHaveLength(3);
    expect(lookups().filter((c) => !c.failed)).toHaveLength(1);
    expect(t.slack.delivered('chat.postMessage', toPat)).toHaveLength(1);
    expect(t.logs.text).not.toContain('could not tell the person whose permission changed');
  });
});
