/**
 * A technical user's description and token expiry in the mirror of a connected workspace, through
 * the real Keywarden (its sync job on BullMQ), the fake LeanIX over HTTP, the fake Slack and the
 * injected clock: taken in by the sync, shown by /techuser list, warned about before the token
 * expires, a change made in LeanIX recorded once as drift for the digest (an expired token made to
 * work again told at once), and a sync that finds nothing changed writing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisSyncState } from '../../src/leanix/sync-state.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { ADMIN, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { TestClock } from '../helpers/clock.js';
import { countingStore, type CountingStore } from '../helpers/counting-store.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { nextSync as nextSyncOf } from '../helpers/leanix-sync.js';

const PREFIX = 'kwtest-leanix-tu-mirror';
const clock = new TestClock();
const DAY = 86_400_000;

let lx: FakeLeanix;
let t: TestApp;
let store: CountingStore;
let conn: Redis;
let state: RedisSyncState;
let botId: string;

beforeAll(async () => {
  lx = await FakeLeanix.start({ workspaceId: WS_ID, clock });
  botId = lx.data.addTechnicalUser({ userName: 'ci-bot', role: 'MEMBER', expiry: '2030-01-01T00:00:00.000Z', description: 'nightly import' }).record.id;
  store = countingStore(createMemoryStore());
  const seed = testSeed();
  t = await startTestApp({
    store,
    seed: { workspaces: [{ ...seed.workspaces[0]!, leanix: { baseUrl: lx.url, apiTokenEnv: 'LEANIX_API_TOKEN_ACME', syncSeconds: 30 } }, seed.workspaces[1]!] },
    env: { LEANIX_API_TOKEN_ACME: lx.apiToken },
    options: { clock, queuePrefix: PREFIX, leanixSyncTickMs: 100 },
  });
  conn = new Redis(t.redis.url, { maxRetriesPerRequest: null });
  state = new RedisSyncState(conn, PREFIX);
});
afterAll(async () => {
  conn?.disconnect();
  await t?.stop();
  await lx?.stop();
});

/** Waits for the next finished sync (the clock moved past syncSeconds first). */
const nextSync = () => nextSyncOf(state, clock, WS_ID);

/** Writes to the mirror's own records (what a sync may write), by repository and method. */
const mirrorWrites = () => Object.entries(store.writesBy()).filter(([k]) => /^(technicalUsers|permissions|users|history)\./.test(k));

const driftLines = async () => (await store.history.listByWorkspace(WS_ID, { afterSeq: 0, limit: 1000 })).filter((e) => e.action === 'techuser.changed_outside');

describe('a technical user\'s description and expiry in the LeanIX mirror', () => {
  it('takes them in, shows them in /techuser list, and a sync that then finds nothing changed writes nothing', async () => {
    await nextSync();
    const tu = await store.technicalUsers.findById(botId);
    expect(tu).toMatchObject({ description: 'nightly import', token: { hash: null, lastFour: null, expiresAt: new Date('2030-01-01T00:00:00.000Z') } });
    // The expiry warnings are scheduled for it: 30 days before, by the default policy.
    expect(tu!.token!.nextWarningAt).toEqual(new Date(Date.parse('2030-01-01T00:00:00.000Z') - 30 * DAY));
    const list = await t.answer((await t.command(ADMIN, 'list', '/techuser')).responseId);
    expect(list).toContain('*ci-bot* (MEMBER): token (held in LeanIX) expires 2029-12-31');
    expect(list).toContain('nightly import');
    await nextSync();
    store.resetWrites();
    await nextSync();
    await nextSync();
    expect(mirrorWrites()).toEqual([]);
    expect(await driftLines()).toEqual([]);
  });

  it('a description and an expiry changed in LeanIX are drift, recorded once for the digest and not told at once', async () => {
    const record = lx.data.technicalUser(botId).record;
    record.apiTokenData.description = 'weekly import';
    record.apiTokenData.expiry = '2031-07-01T00:00:00.000Z';
    await nextSync();
    await nextSync();
    const lines = await driftLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      subject: { id: botId, label: 'ci-bot' }, actor: { type: 'leanix' }, requestId: null,
      before: { description: 'nightly import', expires: '2029-12-31' }, after: { description: 'weekly import', expires: '2031-06-30' },
    });
    expect(t.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.args.text).includes('raising access'))).toHaveLength(0);
    const tu = (await store.technicalUsers.findById(botId))!;
    expect(tu.token!.expiresAt).toEqual(new Date('2031-07-01T00:00:00.000Z'));
    expect(tu.token!.nextWarningAt).toEqual(new Date(Date.parse('2031-07-01T00:00:00.000Z') - 30 * DAY));
    expect(await t.answer((await t.command(ADMIN, 'list', '/techuser')).responseId)).toMatch(/expires 2031-06-30.*weekly import/);
  });

  it('the notification channels are warned before a token made in LeanIX expires, by the date LeanIX shows', async () => {
    lx.data.technicalUser(botId).record.apiTokenData.expiry = new Date(clock.now().getTime() + 5 * DAY).toISOString();
    await nextSync();
    expect(await t.kw.expiry.scanTokens()).toBe(1);
    const warning = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && /API token of technical user ci-bot .* expires/.test(String(c.args.text)));
    expect(JSON.stringify(warning.args.blocks)).toContain('Token (held in LeanIX)');
  });

  it('an expired token made to work again in LeanIX is told at once: access given anew, as ARCHIVED to ACTIVE is', async () => {
    const raising = () => t.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === 'CNOTIFY' && String(c.args.text).includes('raising access'));
    const record = lx.data.technicalUser(botId).record;
    record.apiTokenData.expiry = new Date(clock.now().getTime() - 2 * DAY).toISOString();
    await nextSync();
    expect(raising()).toHaveLength(0);
    record.apiTokenData.expiry = new Date(clock.now().getTime() + 60 * DAY).toISOString();
    await nextSync();
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes('raising access'));
    expect(JSON.stringify(post.args.blocks)).toContain('ci-bot');
    expect(JSON.stringify(post.args.blocks)).toMatch(/expires \d{4}-\d\d-\d\d → \d{4}-\d\d-\d\d/);
    expect(raising()).toHaveLength(1);
  });
});
