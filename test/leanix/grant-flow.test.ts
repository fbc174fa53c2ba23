/**
 * Time-bound grants in a workspace connected to LeanIX, through the real Bolt app, BullMQ on a
 * private Redis, the fake Slack, the fake LeanIX and the injected clock: a grant's role made in
 * LeanIX first and taken back there at its end; a role changed in LeanIX while granted left as it
 * is; LeanIX down at the end (held, told once, reverted once when it answers); the answer of
 * LeanIX's write lost at the start and at the end (the re-run finds it done, and a sync in
 * between takes it for no drift); extensions checked against LeanIX; a technical user's grant.
 *
 * The grants' timers are BullMQ jobs delayed in real time by the injected clock's hours, so they
 * never fire here: the end is the grant sweep's, called by the test where the order matters.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { ChangeRequest } from '../../src/domain/request.js';
import { RedisSyncState } from '../../src/leanix/sync-state.js';
import { forms } from '../../src/slack/forms/ids.js';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { ADMIN, APPROVALS, APPROVER1, SIGNING_SECRET, startTestApp, TEAM, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { blockActionBody, postSigned } from '../helpers/slack-requests.js';
import { submitOpened } from '../helpers/views.js';
import { requestWithStatus, waitFor } from '../helpers/wait.js';

const HOUR = 3600_000;
const JANE = 'jane.roe@meshlab.de';
const ANN = 'ann.other@meshlab.de';

let t: TestApp | undefined;
let lx: FakeLeanix | undefined;
let conn: Redis | undefined;
let clock: TestClock;
afterEach(async () => {
  conn?.disconnect();
  await t?.stop();
  await lx?.stop();
  t = lx = conn = undefined;
});

/**
 * `sweep: 'manual'`: the grant sweep (and the other maintenance jobs) far apart, so the test runs
 * it itself; the sync then ticks every 100 ms, to be run in between.
 */
async function start(o: { sweep?: 'manual' } = {}) {
  clock = new TestClock();
  lx = await FakeLeanix.start({ workspaceId: WS_ID, clock });
  lx.data.addPermission({ email: 'john.doe@meshlab.de', role: 'MEMBER', status: 'INVITED' });
  lx.data.addPermission({ email: JANE, role: 'MEMBER', status: 'ACTIVE' });
  lx.data.addPermission({ email: 'max.muster@meshlab.de', role: 'VIEWER', status: 'ARCHIVED' });
  lx.data.addPermission({ email: ANN, role: 'VIEWER', status: 'ACTIVE' }); // known to Keywarden from the first sync
  const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
  const seed = testSeed();
  t = await startTestApp({
    seed: { workspaces: [{ ...seed.workspaces[0]!, leanix: { baseUrl: lx.url, apiTokenEnv: 'LEANIX_API_TOKEN_MESHLAB', syncSeconds: 30 } }, seed.workspaces[1]!] },
    env: { LEANIX_API_TOKEN_MESHLAB: lx.apiToken },
    options: {
      clock, queuePrefix: prefix, leanixApply: { retryDelayMs: 150 }, leanixTransport: { retries: 0, timeoutMs: 5000 },
      ...(o.sweep === 'manual' && { sweepEveryMs: 3_600_000, leanixSyncTickMs: 100 }),
    },
  });
  conn = new Redis(t.redis.url, { maxRetriesPerRequest: null });
  const state = new RedisSyncState(conn, prefix);
  await waitFor('the first sync', () => state.lastSynced(WS_ID));
  return state;
}

async function request(text: string, command = '/permission'): Promise<ChangeRequest> {
  const before = t!.slack.callsTo('chat.postMessage').length;
  const sent = await t!.command(ADMIN, text, command);
  expect(await t!.answer(sent.responseId), text).toMatch(/sent to <#CAPPROVALS> for approval/);
  const post = await t!.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && t!.slack.callsTo('chat.postMessage').indexOf(c) >= before);
  return (await t!.store.requests.findById(post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value))!;
}

async function approve(r: ChangeRequest) {
  expect(await t!.answer((await t!.click(ids.APPROVE, r.id, APPROVER1)).responseId)).toMatch(/Approved/);
}

async function granted(text: string, command = '/permission'): Promise<ChangeRequest> {
  const r = await request(text, command);
  await approve(r);
  return statusOf(r.id, 'APPLIED');
}

const statusOf = (id: string, status: string) => requestWithStatus(t!.store, id, status);
const mirrorOf = async (email: string) => (await t!.store.permissions.find(WS_ID, (await t!.store.users.findByEmail(email))!.id))!;
const posts = () => lx!.callsTo('POST', /\/permissions$/);
const madePosts = () => posts().filter((c) => c.status === 200);
const endedLines = async (type: 'permission' | 'technicalUser', id: string) =>
  (await t!.store.history.listBySubject(type, id, 50)).filter((e) => e.action.endsWith('.grant_ended'));
const endDms = (grantId: string) => t!.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === ADMIN && /:hourglass: The grant of request/.test(String(c.args.text)) && String(c.args.text).includes(grantId.slice(0, 8)));
const notices = () => t!.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'CNOTIFY' && /could not be taken back in LeanIX yet/.test(String(c.args.text)));

/** Two syncs that began after this call (the first may have been under way already). */
async function syncsAfter(state: RedisSyncState) {
  for (let i = 0; i < 2; i++) {
    clock.advance(31_000);
    const at = clock.now().getTime();
    await waitFor('a sync', async () => ((await state.lastSynced(WS_ID))?.getTime() ?? 0) >= at);
  }
}

describe('time-bound grants in a connected workspace', () => {
  it('makes the grant in LeanIX first and takes it back there at its end', async () => {
    await start();
    const r = await granted(`role ${JANE} ADMIN for 4h`);
    expect(r.seen).toEqual({ role: 'MEMBER' });
    expect(lx!.data.permissionOf(JANE)!.role).toBe('ADMIN');
    expect(madePosts()).toHaveLength(1);
    // Posted back as read, with only the role changed.
    expect(lx!.data.posted[0]).toMatchObject({ role: 'ADMIN', status: 'ACTIVE', tags: ['from-leanix'], user: { account: { id: 'acc-1' } } });
    expect(await mirrorOf(JANE)).toMatchObject({ role: 'ADMIN', grant: { requestId: r.id, role: 'ADMIN', revertTo: 'MEMBER' } });

    clock.advance(4 * HOUR + 60_000); // the grant sweep (every 500 ms here) finds it due
    await waitFor('the grant ended', async () => (await mirrorOf(JANE)).grant === null);
    expect(lx!.data.permissionOf(JANE)!.role).toBe('MEMBER');
    expect(madePosts()).toHaveLength(2);
    expect(lx!.data.posted[1]).toMatchObject({ role: 'MEMBER', status: 'ACTIVE', tags: ['from-leanix'] });
    expect((await mirrorOf(JANE)).role).toBe('MEMBER');
    expect(await endedLines('permission', (await mirrorOf(JANE)).id)).toMatchObject([{ actor: { type: 'system' }, before: { role: 'ADMIN' }, after: { role: 'MEMBER' } }]);
    expect((await waitFor('the DM', async () => endDms(r.id)[0])).args.text).toMatch(/ran out/);
  });

  it('leaves a role changed in LeanIX while granted as it is at the end, and says so once', async () => {
    await start({ sweep: 'manual' });
    const r = await granted(`role ${JANE} ADMIN for 4h`);
    lx!.changeOutside(JANE, { role: 'VIEWER' });
    clock.advance(4 * HOUR + 60_000);
    expect(await t!.kw.grants.sweep()).toBe(1);
    expect(lx!.data.permissionOf(JANE)!.role).toBe('VIEWER');
    expect(madePosts()).toHaveLength(1); // the start's only
    const p = await mirrorOf(JANE);
    expect(p).toMatchObject({ role: 'VIEWER', grant: null });
    expect(await endedLines('permission', p.id)).toMatchObject([{ actor: { type: 'leanix' }, before: { role: 'ADMIN' }, after: { role: 'VIEWER' }, reason: 'changed in LeanIX outside Keywarden; not reverted' }]);
    const dm = await waitFor('the DM', async () => endDms(r.id)[0]);
    expect(dm.args.text).toMatch(/was changed in LeanIX outside Keywarden and is now VIEWER\. That change stays; Keywarden did not revert it\./);
    expect(await t!.kw.grants.sweep()).toBe(0);
    expect(await endedLines('permission', p.id)).toHaveLength(1);
    expect(endDms(r.id)).toHaveLength(1);
  });

  it('holds the end while LeanIX is down, tells the channels once after 30 minutes, and takes the role back once when LeanIX answers', async () => {
    await start({ sweep: 'manual' });
    const r = await granted(`role ${JANE} ADMIN for 4h`);
    await granted(`role ${ANN} MEMBER for 4h`);
    lx!.down = true;
    clock.advance(4 * HOUR + 60_000);
    const calls = lx!.calls.length;
    expect(await t!.kw.grants.sweep()).toBe(0);
    // One end found LeanIX not answering: the other end of that workspace waits for the next round.
    expect(lx!.calls.length - calls).toBe(1);
    // The grant's timer, fired through BullMQ: it leaves the held end to the sweep, not failing or retrying.
    const p = await mirrorOf(JANE);
    await t!.kw.grants.schedule({ type: 'permission', id: p.id }, p.grant!, { again: true });
    await waitFor('the timer job', async () => t!.logs.text.includes('grant end held: LeanIX did not take the role back'));
    expect(t!.logs.text.split('\n').filter((l) => l.includes('job failed') && l.includes(r.id))).toEqual([]);
    expect(await mirrorOf(JANE)).toMatchObject({ role: 'ADMIN', grant: { requestId: r.id } });
    expect(notices()).toHaveLength(0); // a minute late: an outage that may pass
    clock.advance(30 * 60_000);
    expect(await t!.kw.grants.sweep()).toBe(0);
    expect(await t!.kw.grants.sweep()).toBe(0);
    const notice = await waitFor('the notice', async () => notices()[0]);
    expect(notice.args.text).toMatch(/The grant of ADMIN to jane\.roe@meshlab\.de in meshlab is over, but its role could not be taken back in LeanIX yet \(LeanIX has not answered for 3\d minutes\), so LeanIX still shows ADMIN\./);
    expect(endDms(r.id)).toHaveLength(0);
    // Asked for an End now meanwhile, the clicker is told the grant is still active.
    await expect(t!.kw.grants.endNow(r.id, ADMIN)).rejects.toThrow(/LeanIX is not answering, so the role was not taken back there; the grant is still active/);

    lx!.down = false;
    expect(await t!.kw.grants.sweep()).toBe(2);
    expect(await t!.kw.grants.sweep()).toBe(0);
    expect(lx!.data.permissionOf(JANE)!.role).toBe('MEMBER');
    expect(lx!.data.permissionOf(ANN)!.role).toBe('VIEWER');
    expect(madePosts()).toHaveLength(4); // two starts, two ends
    expect(await mirrorOf(ANN)).toMatchObject({ role: 'VIEWER', grant: null });
    expect(notices()).toHaveLength(2); // one for each grant, the one not tried this round too
    expect(await mirrorOf(JANE)).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await endedLines('permission', (await mirrorOf(JANE)).id)).toHaveLength(1);
  });

  it('says at once, and once, that an end is held by a revoked API token, and does not keep calling LeanIX for it', async () => {
    await start({ sweep: 'manual' });
    const r = await granted(`role ${JANE} ADMIN for 4h`);
    lx!.revokeApiToken();
    lx!.expireAccessTokens();
    clock.advance(4 * HOUR + 60_000);
    expect(await t!.kw.grants.sweep()).toBe(0);
    const notice = await waitFor('the notice', async () => notices()[0]);
    expect(notice.args.text).toMatch(/could not be taken back in LeanIX yet \(Not changed in LeanIX: .*API token was replaced or deleted in LeanIX\.\), so LeanIX still shows ADMIN/);
    const calls = lx!.calls.length;
    for (let i = 0; i < 3; i++) expect(await t!.kw.grants.sweep()).toBe(0);
    expect(lx!.calls.length).toBe(calls); // the connection is known unauthorised: no call is made
    expect(notices()).toHaveLength(1);
    expect(await mirrorOf(JANE)).toMatchObject({ role: 'ADMIN', grant: { requestId: r.id } });
    await expect(t!.kw.grants.endNow(r.id, ADMIN)).rejects.toThrow(/The role was not taken back in LeanIX, so the grant is still active: Not changed in LeanIX/);
  });

  it('finds the start made on a re-run when the answer of LeanIX\'s write was lost before the mirror was written', async () => {
    await start();
    lx!.dropAnswerOfNext(1, { method: 'POST', path: /\/permissions$/ });
    const r = await granted(`role ${JANE} ADMIN for 4h`);
    expect(posts().map((c) => c.status)).toEqual(['dropped']); // made once; the re-run read it and posted nothing
    expect(lx!.data.permissionOf(JANE)!.role).toBe('ADMIN');
    expect(await mirrorOf(JANE)).toMatchObject({ role: 'ADMIN', grant: { requestId: r.id, revertTo: 'MEMBER' } });
    expect((await t!.store.history.listBySubject('permission', (await mirrorOf(JANE)).id, 20)).filter((e) => e.action === 'permission.changed_outside')).toHaveLength(0);
  });

  it('finds the end made on a re-run when the answer of LeanIX\'s write was lost, a sync in between taking it for no drift', async () => {
    const state = await start({ sweep: 'manual' });
    const r = await granted(`role ${JANE} ADMIN for 4h`);
    lx!.dropAnswerOfNext(1, { method: 'POST', path: /\/permissions$/ });
    clock.advance(4 * HOUR + 60_000);
    expect(await t!.kw.grants.sweep()).toBe(0); // LeanIX made it; its answer was lost: held
    expect(lx!.data.permissionOf(JANE)!.role).toBe('MEMBER');
    expect((await mirrorOf(JANE)).grant?.requestId).toBe(r.id);
    await syncsAfter(state); // LeanIX shows MEMBER, the mirror ADMIN under a grant being ended: no drift
    expect(await t!.kw.grants.sweep()).toBe(1);
    expect(posts().map((c) => c.status)).toEqual([200, 'dropped']);
    const p = await mirrorOf(JANE);
    expect(p).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await endedLines('permission', p.id)).toMatchObject([{ actor: { type: 'system' }, after: { role: 'MEMBER' } }]);
    expect((await t!.store.history.listBySubject('permission', p.id, 20)).filter((e) => e.action === 'permission.changed_outside')).toHaveLength(0);
    expect((await waitFor('the DM', async () => endDms(r.id)[0])).args.text).toMatch(/ran out/);
  });

  it('extends a grant LeanIX still shows without changing LeanIX, and refuses one changed there in LeanIX\'s words', async () => {
    await start();
    const g = await granted(`role ${JANE} ADMIN for 4h`);
    const until = (await mirrorOf(JANE)).grant!.until.getTime();
    const ext = await extension(g.id, '1d');
    await approve(ext);
    await statusOf(ext.id, 'APPLIED');
    expect((await mirrorOf(JANE)).grant!.until.getTime()).toBe(until + 24 * HOUR);
    expect(madePosts()).toHaveLength(1); // the grant's start only

    const again = await extension(g.id, '1h');
    lx!.changeOutside(JANE, { role: 'VIEWER' });
    await approve(again);
    const failed = await statusOf(again.id, 'FAILED');
    expect(failed.outcome).toBe('LeanIX shows VIEWER, not ADMIN as granted: it was changed in LeanIX outside Keywarden, so the grant was not extended.');
    expect((await mirrorOf(JANE)).grant!.until.getTime()).toBe(until + 24 * HOUR);
    expect(madePosts()).toHaveLength(1);
    expect(lx!.data.permissionOf(JANE)!.role).toBe('VIEWER');
  });

  it("makes a technical user's grant in LeanIX with PUT and takes it back at its end; one changed there stays", async () => {
    await start({ sweep: 'manual' });
    const bots = ['ci-bot', 'etl-bot'].map((userName) => lx!.data.addTechnicalUser({ userName, role: 'MEMBER', expiry: '2030-01-01T00:00:00.000Z' }));
    clock.advance(31_000); // the next sync mirrors them
    await waitFor('the bots mirrored', async () => (await t!.store.technicalUsers.findById(bots[1]!.record.id)) && (await t!.store.technicalUsers.findById(bots[0]!.record.id)));
    const [ci, etl] = [await granted('role ci-bot ADMIN for 2h', '/techuser'), await granted('role etl-bot ADMIN for 2h', '/techuser')];
    const puts = () => lx!.callsTo('PUT', /\/technicalusers\/[^/]+$/).filter((c) => c.status === 200);
    expect(puts()).toHaveLength(2);
    expect(bots.map((b) => lx!.data.technicalUser(b.record.id).record.permissionRole)).toEqual(['ADMIN', 'ADMIN']);
    expect(await t!.store.technicalUsers.findById(bots[0]!.record.id)).toMatchObject({ role: 'ADMIN', grant: { requestId: ci.id, revertTo: 'MEMBER' } });

    lx!.data.technicalUser(bots[1]!.record.id).record.permissionRole = 'VIEWER'; // changed in LeanIX
    clock.advance(2 * HOUR + 60_000);
    expect(await t!.kw.grants.sweep()).toBe(2);
    expect(puts()).toHaveLength(3); // ci-bot's revert; nothing over etl-bot's change
    expect(bots.map((b) => lx!.data.technicalUser(b.record.id).record.permissionRole)).toEqual(['MEMBER', 'VIEWER']);
    expect(lx!.tokenWorks(bots[0]!.token)).toBe(true); // the token stays
    expect(await t!.store.technicalUsers.findById(bots[0]!.record.id)).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await t!.store.technicalUsers.findById(bots[1]!.record.id)).toMatchObject({ role: 'VIEWER', grant: null });
    expect(await endedLines('technicalUser', bots[1]!.record.id)).toMatchObject([{ actor: { type: 'leanix' }, after: { role: 'VIEWER' } }]);
    expect((await waitFor('the DM', async () => endDms(etl.id)[0])).args.text).toMatch(/is now VIEWER\. That change stays/);
    expect((await waitFor('the DM', async () => endDms(ci.id)[0])).args.text).toMatch(/ran out/);
  });
});

/** Extend, under the grant's DM: the button, the form, its submission; returns the approval request. */
async function extension(grantId: string, duration: string): Promise<ChangeRequest> {
  const triggerId = `${Date.now()}.${randomUUID().slice(0, 8)}.faketrigger`;
  const responseId = `grant-${randomUUID().slice(0, 8)}`;
  await postSigned(t!.kw.url!, blockActionBody({ actionId: ids.GRANT_EXTEND, value: grantId, userId: ADMIN, teamId: TEAM, responseUrl: t!.slack.responseUrl(responseId), channelId: `D${ADMIN}`, triggerId }), { secret: SIGNING_SECRET });
  const opened = await t!.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(opened.args.view.callback_id).toBe(forms.GRANT_EXTEND);
  await submitOpened(t!, opened, ADMIN, { duration: { option: duration }, reason: null });
  const short = /Request ([0-9a-f]{8})/.exec(await t!.answer(responseId))![1]!;
  return (await t!.store.requests.listByWorkspace(WS_ID, { limit: 1000 })).find((x) => x.id.startsWith(short))!;
}
