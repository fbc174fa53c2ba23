import { describe, expect, it } from 'vitest';
import { applySeed, Seed } from '../../src/app/seed.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';

const WS = 'e1937ae6-05d4-4e43-a3b5-565e7d80b82c';
const raw = (over: object = {}) => ({
  workspaces: [{
    id: WS, name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'CAPPROVALS' }, admins: ['UADMIN'], approvers: ['UA1'],
    users: [{ email: 'jane.roe@meshlab.de', firstName: 'Jane' }, { email: 'max@meshlab.de', role: 'VIEWER', status: 'ARCHIVED' }],
    ...over,
  }],
});
const log = createLog('silent');

describe('Seed', () => {
  it('fills in the defaults', () => {
    const seed = Seed.parse(raw());
    expect(seed.workspaces[0]).toMatchObject({
      slack: { notificationChannels: [] },
      policy: { requiredApprovals: 1, requestTtlHours: 72, expiryWarningDays: [30, 7, 1, 0], reminderHoursBeforeExpiry: 24 },
      users: [{ email: 'jane.roe@meshlab.de', firstName: 'Jane', lastName: '', role: 'MEMBER', status: 'ACTIVE' }, expect.anything()],
    });
  });

  it.each([
    ['no workspaces', { workspaces: [] }],
    ['a look-alike email', raw({ users: [{ email: 'j\u0430ne@meshlab.de' }] })],
    ['an unknown role', raw({ users: [{ email: 'a@b.c', role: 'OWNER' }] })],
    ['three required approvals', raw({ policy: { requiredApprovals: 3 } })],
    ['a negative reminder lead', raw({ policy: { reminderHoursBeforeExpiry: -1 } })],
    ['a name with a space', raw({ name: 'mesh lab' })],
    ['a workspace id that is not a uuid', raw({ id: 'ws-1' })],
    ['an empty approvals channel', raw({ slack: { teamId: 'T1', approvalsChannel: '' } })],
  ])('refuses %s', (_why, seed) => {
    expect(Seed.safeParse(seed).success).toBe(false);
  });
});

describe('applySeed', () => {
  it('creates workspaces, users and permissions', async () => {
    const store = createMemoryStore();
    await applySeed(store, Seed.parse(raw()), log);
    expect(await store.workspaces.findByName('meshlab')).toMatchObject({ id: WS, admins: ['UADMIN'] });
    expect((await store.permissions.list(WS)).map((p) => [p.role, p.status]).sort()).toEqual([['MEMBER', 'ACTIVE'], ['VIEWER', 'ARCHIVED']]);
  });

  it("is idempotent: settings follow the file, but Keywarden's changes to permissions stand", async () => {
    const store = createMemoryStore();
    await applySeed(store, Seed.parse(raw()), log);
    const jane = await store.users.findByEmail('jane.roe@meshlab.de');
    const p = (await store.permissions.find(WS, jane!.id))!;
    await store.permissions.update(p.id, p.version, { role: 'ADMIN' });

    await applySeed(store, Seed.parse(raw({ approvers: ['UA1', 'UA2'] })), log);
    expect((await store.workspaces.findById(WS))?.approvers).toEqual(['UA1', 'UA2']);
    expect(await store.permissions.list(WS)).toHaveLength(2);
    expect((await store.permissions.find(WS, jane!.id))?.role).toBe('ADMIN');
  });

  it('retires a workspace gone from the file, keeps its records, and brings it back when it returns', async () => {
    const store = createMemoryStore();
    const other = { ...raw().workspaces[0]!, id: '7c3f1a52-9d1e-4b8a-8e11-2f5d3c9a0b77', name: 'other', users: [] };
    await applySeed(store, Seed.parse({ workspaces: [...raw().workspaces, other] }), log);
    const at = new Date('2030-01-01T00:00:00Z');

    await applySeed(store, Seed.parse({ workspaces: [other] }), log, at);
    expect(await store.workspaces.findById(WS)).toBeNull();
    expect(await store.workspaces.findByName('meshlab')).toBeNull();
    expect((await store.workspaces.list()).map((w) => w.name)).toEqual(['other']);
    expect(await store.workspaces.findRecord(WS)).toMatchObject({ name: 'meshlab', retiredAt: at });
    expect(await store.permissions.list(WS)).toHaveLength(2);
    // Seeding again changes nothing more: it stays retired from the first time.
    await applySeed(store, Seed.parse({ workspaces: [other] }), log, new Date('2030-02-01T00:00:00Z'));
    expect((await store.workspaces.listRetired()).map((w) => [w.name, w.retiredAt])).toEqual([['meshlab', at]]);

    await applySeed(store, Seed.parse(raw()), log);
    expect(await store.workspaces.findById(WS)).toMatchObject({ name: 'meshlab', admins: ['UADMIN'] });
    expect((await store.workspaces.findById(WS))?.retiredAt ?? null).toBeNull();
  });

  it('replaces admins and approvers by the lists in the file: someone taken out loses the part', async () => {
    const store = createMemoryStore();
    await applySeed(store, Seed.parse(raw({ admins: ['UADMIN', 'UADMIN2'], approvers: ['UA1', 'UA2'] })), log);
    await applySeed(store, Seed.parse(raw({ admins: ['UADMIN'], approvers: ['UA2'] })), log);
    expect(await store.workspaces.findById(WS)).toMatchObject({ admins: ['UADMIN'], approvers: ['UA2'] });
  });
});
