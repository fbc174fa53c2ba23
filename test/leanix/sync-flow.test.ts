/**
 * The mirror sync through the real Keywarden, against the fake LeanIX over HTTP: its BullMQ job on
 * a private Redis, a second sync worker beside it (another process, in effect: its own LeanIX
 * client), the fake Slack and the injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLeanixSyncWorker } from '../../jobs/leanix-sync.js';
import { LeanixConnections } from '../../src/leanix/connections.js';
import { LeanixSync } from '../../src/leanix/sync.js';
import { syncTargets } from '../../src/leanix/sync-targets.js';
import { RedisSyncState } from '../../src/leanix/sync-state.js';
import { createLog } from '../../src/log.js';
import { ADMIN, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { answerWithBlocks } from '../helpers/slack-answers.js';
import { TestClock } from '../helpers/clock.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { nextSync as nextSyncOf } from '../helpers/leanix-sync.js';

const PREFIX = 'kwtest-leanix-flow';
const clock = new TestClock();

let lx: FakeLeanix;
let t: TestApp;
let second: { close(): Promise<void> };
let conn: Redis;
let state: RedisSyncState;

beforeAll(async () => {
  lx = await FakeLeanix.start({ workspaceId: WS_ID, clock });
  lx.data.addPermission({ email: 'john.doe@meshlab.de', role: 'MEMBER', status: 'INVITED' });
  lx.data.addPermission({ email: 'jane.roe@meshlab.de', role: 'MEMBER', status: 'ACTIVE' });
  lx.data.addPermission({ email: 'max.muster@meshlab.de', role: 'VIEWER', status: 'ARCHIVED' });
  lx.data.addPermission({ email: 'new.person@meshlab.de', role: 'VIEWER', status: 'ACTIVE', firstName: 'New' });
  const seed = testSeed();
  const leanix = { baseUrl: lx.url, apiTokenEnv: 'LEANIX_API_TOKEN_ACME', syncSeconds: 30 };
  t = await startTestApp({
    seed: { workspaces: [{ ...seed.workspaces[0]!, leanix }, seed.workspaces[1]!] },
    env: { LEANIX_API_TOKEN_ACME: lx.apiToken },
    options: { clock, queuePrefix: PREFIX, leanixSyncTickMs: 100 },
  });
  conn = new Redis(t.redis.url, { maxRetriesPerRequest: null });
  state = new RedisSyncState(conn, PREFIX);
  // A second worker process's sync job: the same Redis, store and LeanIX, its own client and sync.
  const log = createLog('silent');
  const own = LeanixConnections.open(await t.store.workspaces.list(), () => lx.apiToken, { clock, log });
  second = await startLeanixSyncWorker({
    sync: new LeanixSync({ store: t.store, clock, log, state, drift: t.kw.drift }), targets: () => syncTargets(t.store, own), tickMs: 100, connection: conn, prefix: PREFIX, log,
  });
});
afterAll(async () => {
  await second?.close();
  conn?.disconnect();
  await t?.stop();
  await lx?.stop();
});

/** Waits for the next finished sync (the clock moved past syncSeconds first). */
const nextSync = () => nextSyncOf(state, clock, WS_ID);

const driftPosts = () => t.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.args.text).includes('outside Keywarden'));

describe('the LeanIX mirror in a running Keywarden', () => {
  it('takes LeanIX in (every page, through the client), adds unknown users, and /permission list says when it was last synced', async () => {
    await nextSync();
    expect(lx.callsTo('GET', /\/workspaces\/[^/]+\/permissions$/).length).toBeGreaterThanOrEqual(1);
    expect(await t.store.users.findByEmail('new.person@meshlab.de')).not.toBeNull();
    const reply = await answerWithBlocks(t, (await t.command(ADMIN, 'list')).responseId);
    expect(reply).toMatch(/mirror of LeanIX, last synced \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(reply).toContain('new.person@meshlab.de');
  });

  it('a role raised in LeanIX is told at once in the notification channel, and recorded once after two syncs on two workers', async () => {
    lx.changeOutside('jane.roe@meshlab.de', { role: 'ADMIN' });
    await nextSync();
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes('raising access'));
    expect(JSON.stringify(post.args.blocks)).toContain('role MEMBER → ADMIN');
    await nextSync();
    await nextSync();
    const lines = (await t.store.history.listByWorkspace(WS_ID, { afterSeq: 0, limit: 1000 })).filter((e) => e.action === 'permission.changed_outside');
    expect(lines).toHaveLength(1);
    expect(driftPosts()).toHaveLength(1);
    const metrics = await (await fetch(`${t.kw.url}/metrics`)).text();
    expect(metrics).toContain('keywarden_leanix_drift_total{workspace="meshlab",kind="permission"} 1');
  });

  it('tells when each workspace was last synced in /metrics', async () => {
    // Either worker may have run the syncs so far; this one is run by Keywarden's own.
    await second.close();
    await nextSync();
    const metrics = await (await fetch(`${t.kw.url}/metrics`)).text();
    const at = Number(/keywarden_leanix_last_sync_timestamp_seconds\{workspace="meshlab"\} (\d+(\.\d+)?)/.exec(metrics)?.[1]);
    expect(at * 1000).toBe((await state.lastSynced(WS_ID))!.getTime());
    expect(metrics).toMatch(/keywarden_leanix_calls_total\{workspace="meshlab",method="permissions\.list",status="200"\} [1-9]/);
    expect(metrics).toMatch(/keywarden_leanix_calls_total\{workspace="meshlab",method="token",status="200"\} [1-9]/);
    expect(metrics).toMatch(/keywarden_leanix_call_seconds_count\{workspace="meshlab",method="techusers\.list"\} [1-9]/);
  });

  it('/permission drift lists the last 30 days', async () => {
    const reply = await t.answer((await t.command(ADMIN, 'drift')).responseId);
    expect(reply).toContain('Changed in LeanIX outside Keywarden');
    expect(reply).toContain('jane.roe@meshlab.de');
    expect(reply).toContain('role MEMBER → ADMIN');
    expect((await t.command(ADMIN, 'drift soon')).json.text).toMatch(/"soon" is not a page number/);
    expect(await t.answer((await t.command(ADMIN, 'drift 2')).responseId)).toMatch(/No more changes outside Keywarden/);
  });

  it('a lowered role appears in the next day\'s digest, not at once', async () => {
    lx.changeOutside('john.doe@meshlab.de', { role: 'VIEWER' });
    await nextSync();
    expect(driftPosts()).toHaveLength(1);
    clock.advance(86_400_000);
    await nextSync();
    const digest = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && /outside Keywarden on \d{4}-\d{2}-\d{2}/.test(String(c.args.text)));
    expect(JSON.stringify(digest.args.blocks)).toContain('john.doe@meshlab.de');
    expect(JSON.stringify(digest.args.blocks)).toContain('role MEMBER → VIEWER');
    expect(JSON.stringify(digest.args.blocks)).not.toContain('jane.roe');
  });
});
