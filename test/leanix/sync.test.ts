/**
 * The mirror sync against a LeanIX in memory (behind the reader port), a real Redis for its
 * claims, the real in-memory store and the injected clock.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Drift } from '../../src/leanix/drift.js';
import { raisesAccess } from '../../src/domain/mirror.js';
import { LeanixSync, type SyncTarget } from '../../src/leanix/sync.js';
import { RedisSyncState } from '../../src/leanix/sync-state.js';
import { createLog } from '../../src/log.js';
import { ACTIVE, approved, ARCHIVED, FakeClock, FakeNotifier, INVITED, seededStore, world, WS_ID } from '../app/fixtures.js';
import { countingStore, type CountingStore } from '../helpers/counting-store.js';
import { MemoryLeanix } from '../helpers/memory-leanix.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { LeanixClient } from '../../src/leanix/client.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let conn: Redis;
beforeAll(async () => {
  redis = await startRedis();
  conn = new Redis(redis.url);
});
afterAll(async () => {
  conn.disconnect();
  await redis.stop();
});

interface Setup {
  store: CountingStore;
  leanix: MemoryLeanix;
  clock: FakeClock;
  notifier: FakeNotifier;
  worker(): LeanixSync;
  connection(): Promise<SyncTarget>;
  state: RedisSyncState;
}

async function setup(pageSize = 100): Promise<Setup> {
  const store = countingStore(await seededStore());
  const leanix = new MemoryLeanix(WS_ID, pageSize);
  leanix.addPermission(INVITED, 'MEMBER', 'INVITED');
  leanix.addPermission(ACTIVE, 'MEMBER', 'ACTIVE');
  leanix.addPermission(ARCHIVED, 'VIEWER', 'ARCHIVED');
  const clock = new FakeClock();
  const notifier = new FakeNotifier();
  const state = new RedisSyncState(conn, `t-${randomUUID().slice(0, 8)}`);
  const log = createLog('silent');
  const worker = () => new LeanixSync({ store, clock, log, state, drift: new Drift({ store, notifier, clock, log, state }) });
  return {
    store, leanix, clock, notifier, state, worker,
    connection: async () => ({ workspace: (await store.workspaces.findById(WS_ID))!, reader: leanix, syncSeconds: 300 }),
  };
}

const driftLines = async (s: Setup) =>
  (await s.store.history.listByWorkspace(WS_ID, { afterSeq: 0, limit: 1000 })).filter((e) => e.action.endsWith('changed_outside'));

describe('LeanIX mirror sync', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('takes LeanIX in on the first sync without drift, adds unknown users, and a sync that finds nothing changed writes nothing', async () => {
    s.leanix.addPermission('new.person@meshlab.de', 'ADMIN', 'ACTIVE');
    s.leanix.addTechnicalUser('ci-bot', 'MEMBER');
    const first = await s.worker().sync(await s.connection());
    expect(first).toMatchObject({ first: true, permissions: 4, technicalUsers: 1, drift: 0 });
    const user = await s.store.users.findByEmail('new.person@meshlab.de');
    expect(user).not.toBeNull();
    expect((await s.store.permissions.find(WS_ID, user!.id))?.role).toBe('ADMIN');
    expect(await s.store.technicalUsers.findByName(WS_ID, 'ci-bot')).toMatchObject({ role: 'MEMBER', token: null });
    expect(s.notifier.drift).toEqual([]);
    expect(await s.state.lastSynced(WS_ID)).toEqual(s.clock.now());

    s.store.resetWrites();
    const again = await s.worker().sync(await s.connection());
    expect(again).toMatchObject({ first: false, written: 0, drift: 0 });
    expect(s.store.writesBy()).toEqual({});
  });

  it('reads every page until the total is reached', async () => {
    s = await setup(100);
    for (let i = 0; i < 247; i++) s.leanix.addPermission(`p${i}@meshlab.de`, 'VIEWER', 'ACTIVE');
    const r = await s.worker().sync(await s.connection());
    expect(r.permissions).toBe(250);
    expect(s.leanix.pagesRead).toBe(3 + 1); // three pages of permissions, one (empty) of technical users
    expect((await s.store.permissions.list(WS_ID)).length).toBe(250);
  });

  it('through the real client and the fake LeanIX: pages of 100 until the total is reached, technical users too', async () => {
    const lx = await FakeLeanix.start({ workspaceId: WS_ID, clock: s.clock });
    try {
      for (let i = 0; i < 250; i++) lx.data.addPermission({ email: `p${i}@meshlab.de`, role: 'VIEWER' });
      for (let i = 0; i < 31; i++) lx.data.addTechnicalUser({ userName: `bot-${i}`, role: i === 0 ? 'ADMIN' : 'VIEWER' });
      const client = new LeanixClient({ baseUrl: lx.url, workspaceId: WS_ID, apiToken: lx.apiToken, clock: s.clock });
      const reader = { permissions: () => client.listPermissions(), technicalUsers: () => client.listTechnicalUsers() };
      const r = await s.worker().sync({ ...(await s.connection()), reader });
      expect(r).toMatchObject({ permissions: 250, technicalUsers: 31, unknown: 0 });
      const gets = lx.callsTo('GET', /\/permissions$/);
      expect(gets.map((c) => [c.query.page, c.query.size])).toEqual([['1', '100'], ['2', '100'], ['3', '100']]);
      expect(lx.callsTo('GET', /\/technicalusers$/).length).toBe(1);
      expect((await s.store.permissions.list(WS_ID)).length).toBe(253);
      expect((await s.store.technicalUsers.list(WS_ID)).length).toBe(31);
      // Nothing changed in LeanIX: the second sync reads it all again and writes nothing.
      s.store.resetWrites();
      expect(await s.worker().sync({ ...(await s.connection()), reader })).toMatchObject({ written: 0, drift: 0 });
      expect(s.store.writes()).toBe(0);
    } finally {
      await lx.stop();
    }
  });

  it('a role raised in LeanIX is told at once and recorded once, however many workers sync', async () => {
    await s.worker().sync(await s.connection());
    s.leanix.permissionOf(ACTIVE).role = 'ADMIN';
    s.clock.advance(301_000);
    const c = await s.connection();
    await Promise.all([s.worker().sync(c), s.worker().sync(c)]);
    await s.worker().sync(c);
    const lines = await driftLines(s);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ action: 'permission.changed_outside', actor: { type: 'leanix' }, before: { role: 'MEMBER' }, after: { role: 'ADMIN' } });
    expect(s.notifier.drift).toEqual([{ workspaceId: WS_ID, entryIds: [lines[0]!.id] }]);
    const user = await s.store.users.findByEmail(ACTIVE);
    expect((await s.store.permissions.find(WS_ID, user!.id))?.role).toBe('ADMIN');
  });

  it('ARCHIVED to ACTIVE and a new ADMIN technical user are told at once; a lowered role and a deleted technical user wait for the digest', async () => {
    const bot = s.leanix.addTechnicalUser('old-bot', 'VIEWER');
    await s.worker().sync(await s.connection());
    s.leanix.permissionOf(ARCHIVED).status = 'ACTIVE';
    s.leanix.permissionOf(INVITED).role = 'VIEWER';
    s.leanix.addTechnicalUser('new-admin-bot', 'ADMIN');
    s.leanix.technicalUsersById.delete(bot.id);
    s.clock.advance(1000);
    await s.worker().sync(await s.connection());
    const lines = await driftLines(s);
    expect(lines).toHaveLength(4);
    const raised = lines.filter((e) => raisesAccess(e.subject.type, e.before, e.after)).map((e) => e.subject.label).sort();
    expect(raised).toEqual([ARCHIVED, 'new-admin-bot']);
    expect(s.notifier.drift.map((d) => d.entryIds.length)).toEqual([1, 1]);
    expect(await s.store.technicalUsers.findByName(WS_ID, 'old-bot')).toBeNull();

    // The next UTC day's first sync sends one digest of the rest, once.
    s.clock.advance(86_400_000);
    const drift = new Drift({ store: s.store, notifier: s.notifier, clock: s.clock, log: createLog('silent'), state: s.state });
    const ws = (await s.connection()).workspace;
    expect(await drift.digest(ws)).toBe(2);
    expect(await drift.digest(ws)).toBe(0);
    const digest = s.notifier.drift.filter((d) => d.day);
    expect(digest).toHaveLength(1);
    expect(digest[0]!.day).toBe('2030-01-01');
    expect(digest[0]!.entryIds.sort()).toEqual(lines.filter((e) => !raisesAccess(e.subject.type, e.before, e.after)).map((e) => e.id).sort());
  });

  it('a change Keywarden made after LeanIX was read is not taken for drift', async () => {
    await s.worker().sync(await s.connection());
    const user = await s.store.users.findByEmail(ACTIVE);
    const p = (await s.store.permissions.find(WS_ID, user!.id))!;
    s.clock.advance(1000);
    // While the sync reads LeanIX (which still shows MEMBER), Keywarden applies ADMIN to the mirror.
    let once = false;
    s.leanix.beforePage = async () => {
      if (once) return;
      once = true;
      s.clock.advance(10);
      await s.store.permissions.update(p.id, p.version, { role: 'ADMIN', applied: [{ id: 'req-1', at: s.clock.now(), before: { role: 'MEMBER' }, after: { role: 'ADMIN' } }] });
    };
    const r = await s.worker().sync(await s.connection());
    expect(r).toMatchObject({ drift: 0, skipped: 1 });
    expect((await s.store.permissions.findById(p.id))?.role).toBe('ADMIN');
  });

  it('a change of an approved request being applied (in LeanIX, not yet in the mirror) is not taken for drift', async () => {
    await s.worker().sync(await s.connection());
    const w = await world({ store: s.store });
    await approved(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } });
    s.leanix.permissionOf(ACTIVE).role = 'ADMIN'; // LeanIX written first; the mirror's write is still to come
    s.clock.advance(1000);
    expect(await s.worker().sync(await s.connection())).toMatchObject({ drift: 0, skipped: 1 });
    expect(await driftLines(s)).toEqual([]);
  });

  it('runDue syncs a workspace once per syncSeconds however many workers ask', async () => {
    const c = await s.connection();
    const a = s.worker();
    const b = s.worker();
    expect((await Promise.all([a.runDue([c]), b.runDue([c])])).reduce((x, y) => x + y)).toBe(1);
    s.clock.advance(299_000);
    expect(await a.runDue([c])).toBe(0);
    s.clock.advance(1000);
    expect(await b.runDue([c])).toBe(1);
  });

  it('a drift whose history line was lost (the process stopped after the mirror write) is recorded by the next sync', async () => {
    await s.worker().sync(await s.connection());
    s.leanix.permissionOf(ACTIVE).role = 'ADMIN';
    // The first run dies right after its write: its history append never happens.
    const append = s.store.history.append.bind(s.store.history);
    let cut = true;
    s.store.history.append = async (e) => {
      if (cut && e.action === 'permission.changed_outside') throw new Error('process stopped');
      return append(e);
    };
    await expect(s.worker().sync(await s.connection())).rejects.toThrow('process stopped');
    cut = false;
    await s.worker().sync(await s.connection());
    expect(await driftLines(s)).toHaveLength(1);
  });
});
