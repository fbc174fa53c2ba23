/**
 * Reminders end to end: a pending request's approvers are reminded once, in the approval
 * message's thread, the workspace's reminderHoursBeforeExpiry (default 24) before it expires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, startTestApp, TEAM, type TestApp } from '../helpers/keywarden.js';

const HOUR = 3_600_000;
const clock = new TestClock();
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
});
afterAll(async () => {
  await t?.stop();
});

/** Asks for a change; resolves with the request id and where its approval message is. */
async function ask(text: string): Promise<{ id: string; ts: string }> {
  const sent = await t.command(ADMIN, text);
  const short = /Request ([0-9a-f]{8})/.exec(await t.answer(sent.responseId))![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short));
  const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  return { id, ts: (await t.store.requests.findById(id))!.slack!.ts };
}

const reminders = () => t.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes('Reminder:'));

/** Runs the reminder sweep (the scheduled one may get there first) and waits for `n` reminders in all. */
async function remindUntil(n: number) {
  await t.kw.requests.remindApprovers();
  const end = Date.now() + 3000;
  while (reminders().length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 600)); // one more scheduled sweep: still n
  expect(reminders()).toHaveLength(n);
}

describe('reminders to approvers', () => {
  it('reminds once, in the thread, 24 hours before expiry, naming who may still decide; a decided request is not reminded', async () => {
    const pending = await ask('role jane.roe@meshlab.de VIEWER reminder');
    const decided = await ask('role john.doe@meshlab.de VIEWER decided');
    await t.kw.requests.decide({ requestId: decided.id, actor: APPROVER2, teamId: TEAM, verdict: 'reject' });

    clock.advance(47 * HOUR);
    await remindUntil(0);
    clock.advance(2 * HOUR); // 49 h after asking: 23 h before the 72 h are up
    await remindUntil(1);
    const [reminder] = reminders();
    expect(reminder!.args).toMatchObject({ channel: APPROVALS, thread_ts: pending.ts });
    expect(reminder!.args.text).toMatch(/Reminder: Change the role of jane\.roe@meshlab\.de to VIEWER .* expires <!date\^\d+\^.*, in about 23 hours\./);
    expect(reminder!.args.text).toContain(`<@${APPROVER1}> <@${APPROVER2}> <@${ADMIN2}>: please approve or reject it.`);
    expect(reminder!.args.text).not.toContain(`<@${ADMIN}>:`);

    clock.advance(10 * HOUR);
    await remindUntil(1);
    expect((await t.store.requests.findById(pending.id))!.status).toBe('PENDING');
  });
});
