/**
 * Time-bound grants given before their workspace was connected to LeanIX (grant-flow.test.ts has
 * those given after): the real Keywarden, the fake LeanIX, the fake Slack, BullMQ on
 * a private Redis and the injected clock. A grant whose role is changed in LeanIX outside Keywarden
 * ends without going back, and says so; one that is not goes back in LeanIX first.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { RedisSyncState } from '../../src/leanix/sync-state.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, APPROVER1, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { TestClock } from '../helpers/clock.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { nextSync as nextSyncOf } from '../helpers/leanix-sync.js';

const PREFIX = 'kwtest-leanix-grants';
const clock = new TestClock();
const store = createMemoryStore();
const PEOPLE = ['ann@meshlab.de', 'bob@meshlab.de', 'carl@meshlab.de'];
const grants: Record<string, string> = {};

let lx: FakeLeanix;
let t: TestApp;
let conn: Redis;
let state: RedisSyncState;

function seed(leanix?: object) {
  const s = testSeed();
  const extra = PEOPLE.map((email) => ({ email, firstName: email.split('@')[0]!, lastName: 'Test', role: 'VIEWER', status: 'ACTIVE' }));
  return { workspaces: [{ ...s.workspaces[0]!, users: [...s.workspaces[0]!.users, ...extra], ...(leanix && { leanix }) }, s.workspaces[1]!] };
}

beforeAll(async () => {
  // Before the workspace is connected: each person granted MEMBER for 2 hours.
  t = await startTestApp({ store, seed: seed(), options: { clock, queuePrefix: `${PREFIX}-before` } });
  for (const email of PEOPLE) {
    const id = await ask(`role ${email} MEMBER for 2h`);
    expect(await t.answer((await t.click(ids.APPROVE, id, APPROVER1)).responseId)).toMatch(/Approved/);
    await vi.waitFor(async () => expect((await store.requests.findById(id))?.status).toBe('APPLIED'), { timeout: 10_000, interval: 20 });
    grants[email] = id;
  }
  await t.stop();
  // Then connected: LeanIX holds what the mirror holds.
  lx = await FakeLeanix.start({ workspaceId: WS_ID, clock });
  for (const u of seed().workspaces[0]!.users) lx.data.addPermission({ email: u.email, role: PEOPLE.includes(u.email) ? 'MEMBER' : u.role, status: u.status });
  t = await startTestApp({
    store, seed: seed({ baseUrl: lx.url, apiTokenEnv: 'LEANIX_API_TOKEN_ACME', syncSeconds: 30 }), env: { LEANIX_API_TOKEN_ACME: lx.apiToken },
    options: { clock, queuePrefix: PREFIX, leanixSyncTickMs: 100 },
  });
  conn = new Redis(t.redis.url, { maxRetriesPerRequest: null });
  state = new RedisSyncState(conn, PREFIX);
  await nextSync();
});
afterAll(async () => {
  conn?.disconnect();
  await t?.stop();
  await lx?.stop();
});

describe('grants in a connected workspace', () => {
  it('a grant whose role was changed in LeanIX ends at the sync without revert, told once; its timer later changes nothing', async () => {
    const email = 'ann@meshlab.de';
    lx.changeOutside(email, { role: 'ADMIN' });
    await nextSync();
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && String(c.args.text).includes(grants[email]!.slice(0, 8)));
    expect(dm.args.text).toMatch(/was changed in LeanIX outside Keywarden and is now ADMIN\. That change stays; Keywarden did not revert it\./);
    const p = await permissionOf(email);
    expect(p).toMatchObject({ role: 'ADMIN', grant: null });
    const ended = (await store.history.listBySubject('permission', p.id, 20)).filter((e) => e.action === 'permission.grant_ended');
    expect(ended).toMatchObject([{ actor: { type: 'leanix' }, before: { role: 'MEMBER' }, after: { role: 'ADMIN' } }]);
    // (The clock is not moved past the grants' end: the sweep would end the others' grants too.)
    expect(await t.kw.grants.expire({ type: 'permission', id: p.id }, grants[email]!)).toBe('not-active');
    expect(lx.data.permissionOf(email)!.role).toBe('ADMIN');
    await nextSync();
    expect(t.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === ADMIN && String(c.args.text).includes(grants[email]!.slice(0, 8)))).toHaveLength(1);
  });

  it("a grant's end puts the role back in LeanIX first", async () => {
    const email = 'bob@meshlab.de';
    const posts = lx.callsTo('POST', /\/permissions$/).length;
    await t.kw.grants.endNow(grants[email]!, ADMIN);
    expect(lx.data.permissionOf(email)!.role).toBe('VIEWER');
    expect(lx.callsTo('POST', /\/permissions$/).length).toBe(posts + 1);
    expect(await permissionOf(email)).toMatchObject({ role: 'VIEWER', grant: null });
  });

  it('a role changed in LeanIX before the sync saw it stays when the grant ends, and the next sync records no second drift', async () => {
    const email = 'carl@meshlab.de';
    lx.changeOutside(email, { role: 'ADMIN' });
    const posts = lx.callsTo('POST', /\/permissions$/).length;
    await t.kw.grants.endNow(grants[email]!, ADMIN);
    expect(lx.data.permissionOf(email)!.role).toBe('ADMIN');
    expect(lx.callsTo('POST', /\/permissions$/).length).toBe(posts);
    expect(await permissionOf(email)).toMatchObject({ role: 'ADMIN', grant: null });
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && String(c.args.text).includes(grants[email]!.slice(0, 8)));
    expect(dm.args.text).toMatch(/is now ADMIN\. That change stays/);
    const lines = async () => (await store.history.listByWorkspace(WS_ID, { afterSeq: 0, limit: 1000 })).filter((e) => e.action === 'permission.changed_outside' && e.subject.label === email);
    expect(await lines()).toHaveLength(1);
    await nextSync();
    expect(await lines()).toHaveLength(1);
  });
});

/** Waits for the next finished sync (the clock moved past syncSeconds first). */
const nextSync = () => nextSyncOf(state, clock, WS_ID);

async function permissionOf(email: string) {
  const user = await store.users.findByEmail(email);
  return (await store.permissions.find(WS_ID, user!.id))!;
}

async function ask(text: string): Promise<string> {
  const reply = await t.answer((await t.command(ADMIN, text)).responseId);
  expect(reply, text).toMatch(/sent to <#CAPPROVALS> for approval/);
  const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short));
  return post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
}
