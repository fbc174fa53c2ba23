/**
 * An access review over time, through the real Bolt app, BullMQ's maintenance job, the fake Slack
 * (its limits on) and the injected clock: a worker that stops right after a decision (the change's
 * request never stored) is finished by the sweep and applied once; reviewers are reminded once at
 * half time and once a day before the due date; at the due date the undecided items get the
 * campaign's unreviewed action (here downgrade:VIEWER), it closes, and the channels get the summary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { REVIEW, reviewSeed } from '../helpers/access-reviews.js';
import { TestClock } from '../helpers/clock.js';
import { faultyStore } from '../helpers/faulty-store.js';
import { APPROVER1, APPROVER2, SIGNING_SECRET, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { postSigned, viewActionBody } from '../helpers/slack-requests.js';

const DAY = 86_400_000;
const clock = new TestClock();
const faulty = faultyStore(createMemoryStore());
let t: TestApp;
beforeAll(async () => {
  const seed = reviewSeed({ unreviewed: 'downgrade:VIEWER' });
  seed.workspaces[0]!.users.push(
    { email: 'ann.admin@meshlab.de', firstName: 'Ann', lastName: 'Admin', role: 'ADMIN', status: 'ACTIVE' } as never,
    { email: 'bob.admin@meshlab.de', firstName: 'Bob', lastName: 'Admin', role: 'ADMIN', status: 'ACTIVE' } as never,
  );
  t = await startTestApp({ seed, store: faulty.store, slack: { limits: true }, options: { clock } });
});
afterAll(async () => {
  await t?.stop();
});

const dms = (user: string, text: string) => t.slack.delivered('chat.postMessage', (c) => c.args.channel === user && String(c.args.text).includes(text));
const campaign = async () => (await t.store.accessReviews.listCampaigns(WS_ID, { limit: 1 }))[0]!;
const permissionOf = async (email: string) => (await t.store.permissions.find(WS_ID, (await t.store.users.findByEmail(email))!.id))!;
async function until<T>(what: () => Promise<T | null | undefined | false>, label: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await what();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${label}`);
}
const settle = () => new Promise((r) => setTimeout(r, 1500)); // three runs of the 500 ms maintenance job

describe('an access review over time', () => {
  it('finishes a decision whose worker stopped before its request was stored, and applies it once', async () => {
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER1 && String(c.args.text).includes(`${REVIEW}: 4 items`), 10_000);
    const c = await campaign();
    const bob = (await t.store.accessReviews.findItemByEmail(c.id, 'bob.admin@meshlab.de'))!;
    // The process "dies" inside the insert of the change's request: nothing after it runs.
    faulty.rule = (call) => (call.repo === 'requests' && call.method === 'insert' ? { hang: true } : undefined);
    const view = { id: 'VDUE', private_metadata: JSON.stringify({ campaignId: c.id, afterSeq: 0 }) };
    await postSigned(t.kw.url!, viewActionBody({ actionId: ids.ACCESS_REVIEW_ARCHIVE, value: bob.id, userId: APPROVER1, view }), { secret: SIGNING_SECRET });
    const decided = await until(async () => (await t.store.accessReviews.findItem(bob.id))?.decision, 'bob decided');
    expect(decided).toMatchObject({ verdict: 'archive', carried: false });
    faulty.reset();
    await settle();
    expect(await t.store.requests.findById(decided.requestId!)).toBeNull(); // too recent for the sweep
    clock.advance(31_000);
    await until(async () => (await t.store.requests.findById(decided.requestId!))?.status === 'APPLIED', 'the archive applied');
    expect((await permissionOf('bob.admin@meshlab.de')).status).toBe('ARCHIVED');
    await settle();
    const lines = await t.store.history.listBySubject('permission', bob.permissionId, 20);
    expect(lines.filter((l) => l.action === 'permission.updated')).toHaveLength(1);
    expect((await t.store.accessReviews.findItem(bob.id))!.decision!.carried).toBe(true);
  });

  it('reminds each reviewer once at half time and once a day before the due date', async () => {
    clock.advance(7 * DAY);
    await until(async () => dms(APPROVER1, 'Reminder').length === 1 && dms(APPROVER2, 'Reminder').length === 1, 'half-time reminders');
    expect(dms(APPROVER2, 'Reminder')[0]!.args.text).toContain(`${REVIEW}: 3 items still to review`);
    await settle();
    expect(dms(APPROVER1, 'Reminder')).toHaveLength(1);
    clock.advance(6 * DAY + 60_000);
    await until(async () => dms(APPROVER1, 'Reminder').length === 2 && dms(APPROVER2, 'Reminder').length === 2, 'day-before reminders');
    await settle();
    expect(dms(APPROVER1, 'Reminder')).toHaveLength(2);
    expect(dms(APPROVER2, 'Reminder')).toHaveLength(2);
  });

  it('at the due date lowers what nobody reviewed to VIEWER, closes the campaign and sends its summary', async () => {
    clock.advance(DAY);
    const summary = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes(`Access review ${REVIEW}`), 10_000);
    expect(summary.args.text).toContain('closed at its due date: 4 items, 0 kept, 0 changed, 1 archived, 3 unreviewed (downgrade:VIEWER).');
    expect(summary.args.text).toContain(`By reviewer: <@${APPROVER1}> 0 kept, 0 changed, 1 archived.`);
    const c = await campaign();
    expect(c).toMatchObject({ status: 'CLOSED', openKey: null });
    for (const email of ['ann.admin@meshlab.de', 'jane.roe@meshlab.de', 'john.doe@meshlab.de']) {
      await until(async () => (await permissionOf(email)).role === 'VIEWER', `${email} lowered to VIEWER`);
    }
    await settle();
    expect(t.slack.delivered('chat.postMessage', (x) => x.args.channel === 'CNOTIFY' && String(x.args.text).includes(`Access review ${REVIEW}`))).toHaveLength(1);
    const ann = (await t.store.accessReviews.findItemByEmail(c.id, 'ann.admin@meshlab.de'))!;
    expect(ann.decision).toMatchObject({ verdict: 'unreviewed', action: 'downgrade:VIEWER', how: 'due', by: 'keywarden', role: 'VIEWER' });
    expect((await t.store.requests.findById(ann.decision!.requestId!))!).toMatchObject({ status: 'APPLIED', requester: 'keywarden', approvals: [] });
  });
});
