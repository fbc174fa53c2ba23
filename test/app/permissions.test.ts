import { describe, expect, it } from 'vitest';
import { APPLIED_KEPT } from '../../src/domain/applied.js';
import { ConcurrentChangeError, PermissionService } from '../../src/app/permissions.js';
import type { Store } from '../../src/app/ports.js';
import { Codes } from '../../src/domain/errors.js';
import { ACTIVE, ARCHIVED, FakeClock, INVITED, seededStore, unknownId, WS_ID } from './fixtures.js';

const system = { type: 'system' } as const;

async function service(store?: Store) {
  const s = store ?? (await seededStore());
  return { store: s, permissions: new PermissionService(s, new FakeClock()) };
}

describe('PermissionService.list', () => {
  it('lists a workspace sorted by email', async () => {
    const { permissions } = await service();
    expect((await permissions.list(WS_ID)).map((v) => v.user.email)).toEqual([ACTIVE, INVITED, ARCHIVED]);
    expect(await permissions.list(unknownId())).toEqual([]);
  });

  it('filters by status, by email (any case) and by free text over names, role and status', async () => {
    const { permissions } = await service();
    const emails = async (f: Parameters<PermissionService['list']>[1]) => (await permissions.list(WS_ID, f)).map((v) => v.user.email);
    expect(await emails({ status: 'ARCHIVED' })).toEqual([ARCHIVED]);
    expect(await emails({ email: INVITED.toUpperCase() })).toEqual([INVITED]);
    expect(await emails({ email: 'nobody@meshlab.de' })).toEqual([]);
    expect(await emails({ query: 'viewer' })).toEqual([ARCHIVED]);
    expect(await emails({ query: ' INVITED ' })).toEqual([INVITED]);
    expect(await emails({ query: 'jane.roe' })).toEqual([ACTIVE]);
    expect(await emails({ query: 'member', status: 'ACTIVE' })).toEqual([ACTIVE]);
  });
});

describe('PermissionService.get and check', () => {
  it('says which part is missing', async () => {
    const { permissions } = await service();
    await expect(permissions.get(WS_ID, 'nobody@meshlab.de')).rejects.toMatchObject({ code: Codes.USER_NOT_FOUND });
    await expect(permissions.get(unknownId(), ACTIVE)).rejects.toMatchObject({ code: Codes.PERMISSION_NOT_FOUND });
    await expect(permissions.check(WS_ID, INVITED, { status: 'ACTIVE' })).rejects.toMatchObject({ code: Codes.INVITED_TO_ACTIVE });
  });

  it('checks without changing anything', async () => {
    const { permissions, store } = await service();
    const before = await permissions.get(WS_ID, ACTIVE);
    await permissions.check(WS_ID, ACTIVE, { role: 'ADMIN' });
    expect(await store.permissions.findById(before.permission.id)).toEqual(before.permission);
  });
});

describe('PermissionService.change', () => {
  it('applies an API change (no request id) each time it is asked, with a history line each', async () => {
    const { permissions } = await service();
    const { permission: p } = await permissions.get(WS_ID, ACTIVE);
    const first = await permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: system });
    const second = await permissions.change({ permissionId: p.id, change: { status: 'ARCHIVED' }, actor: system });
    expect(first).toMatchObject({ alreadyApplied: false, made: { role: 'ADMIN', status: 'ACTIVE' }, permission: { role: 'ADMIN' } });
    // Nothing to run again, so nothing remembered.
    expect(first.permission.applied ?? []).toEqual([]);
    expect(second).toMatchObject({ alreadyApplied: false, permission: { role: 'ADMIN', status: 'ARCHIVED', version: p.version + 2 } });
  });

  it('applies a change for a request id once, and reports the repeat', async () => {
    const { permissions, store } = await service();
    const { permission: p } = await permissions.get(WS_ID, ARCHIVED);
    const requestId = unknownId();
    const args = { permissionId: p.id, change: { status: 'ACTIVE' } as const, actor: system, requestId, approvers: ['UA1'] };
    expect(await permissions.change(args)).toMatchObject({ alreadyApplied: false, permission: { status: 'ACTIVE' } });
    expect(await permissions.change(args)).toMatchObject({ alreadyApplied: true, made: { role: 'VIEWER', status: 'ACTIVE' } });
    expect(await store.history.listBySubject('permission', p.id, 10)).toEqual([expect.objectContaining({
      id: requestId, action: 'permission.updated', requestId, approvers: ['UA1'], before: { status: 'ARCHIVED' }, after: { status: 'ACTIVE' },
    })]);
  });

  it('never makes a request\'s change again after a later change, and finishes its history line', async () => {
    // Found by review: R1 changed the permission and died; R2 changed it again; R1 re-ran and,
    // no longer the last change, made its change a second time over R2's.
    const { permissions, store } = await service();
    const { permission: p } = await permissions.get(WS_ID, ACTIVE);
    const r1 = unknownId();
    const r2 = unknownId();
    await permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: system, requestId: r1 });
    await permissions.change({ permissionId: p.id, change: { role: 'VIEWER' }, actor: system, requestId: r2 });
    await permissions.change({ permissionId: p.id, change: { status: 'ARCHIVED' }, actor: system }); // an API change too
    const again = await permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: system, requestId: r1 });
    expect(again).toMatchObject({ alreadyApplied: true, made: { role: 'ADMIN', status: 'ACTIVE' }, permission: { role: 'VIEWER', status: 'ARCHIVED' } });
    expect((await store.permissions.findById(p.id))!.version).toBe(p.version + 3);
    const lines = await store.history.listBySubject('permission', p.id, 10);
    expect(lines.map((h) => [h.requestId, h.after])).toEqual(expect.arrayContaining([[r1, { role: 'ADMIN' }], [r2, { role: 'VIEWER' }]]));
    expect(lines).toHaveLength(3);
  });

  it('recognises its change by its history line once the permission has forgotten it', async () => {
    const { permissions, store } = await service();
    const { permission: p } = await permissions.get(WS_ID, ACTIVE);
    const r1 = unknownId();
    await permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: system, requestId: r1 });
    const roles = ['VIEWER', 'MEMBER'] as const;
    for (let i = 0; i < APPLIED_KEPT; i++) {
      await permissions.change({ permissionId: p.id, change: { role: roles[i % 2] }, actor: system, requestId: unknownId() });
    }
    const stored = (await store.permissions.findById(p.id))!;
    expect(stored.applied!.map((a) => a.id)).not.toContain(r1);
    expect(await permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: system, requestId: r1 })).toMatchObject({ alreadyApplied: true });
    expect((await store.permissions.findById(p.id))!.version).toBe(stored.version);
  });

  it('refuses an unknown permission', async () => {
    const { permissions } = await service();
    await expect(permissions.change({ permissionId: unknownId(), change: { role: 'ADMIN' }, actor: system }))
      .rejects.toMatchObject({ code: Codes.PERMISSION_NOT_FOUND });
  });

  it('gives up with ConcurrentChangeError when it keeps losing the compare-and-set', async () => {
    const inner = await seededStore();
    let tries = 0;
    const store: Store = {
      ...inner,
      permissions: {
        findById: (id) => inner.permissions.findById(id), find: (w, u) => inner.permissions.find(w, u),
        insert: (p) => inner.permissions.insert(p), list: (w, f) => inner.permissions.list(w, f),
        listGrantsDue: (n, l) => inner.permissions.listGrantsDue(n, l), listGrants: (w, l) => inner.permissions.listGrants(w, l),
        countGrants: () => inner.permissions.countGrants(),
        update: async () => {
          tries++;
          return null;
        },
      },
    };
    const { permissions } = await service(store);
    const { permission: p } = await permissions.get(WS_ID, ACTIVE);
    await expect(permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: system })).rejects.toBeInstanceOf(ConcurrentChangeError);
    expect(tries).toBe(5);
    expect(await inner.history.listBySubject('permission', p.id, 10)).toEqual([]);
  });
});

describe('PermissionService.invite', () => {
  it('creates the user and an INVITED permission once per request id', async () => {
    const { permissions, store } = await service();
    const requestId = unknownId();
    const args = { workspaceId: WS_ID, email: 'new@meshlab.de', role: 'MEMBER' as const, actor: system, requestId };
    expect(await permissions.invite(args)).toMatchObject({ alreadyApplied: false, permission: { status: 'INVITED', role: 'MEMBER' } });
    expect(await permissions.invite(args)).toMatchObject({ alreadyApplied: true });
    const { permission } = await permissions.get(WS_ID, 'NEW@meshlab.de');
    expect(await store.history.listBySubject('permission', permission.id, 10)).toHaveLength(1);
  });

  it('refuses a user who already has a permission, and says so before asking', async () => {
    const { permissions } = await service();
    await expect(permissions.checkInvite(WS_ID, ACTIVE.toUpperCase())).rejects.toMatchObject({ code: Codes.PERMISSION_EXISTS });
    await expect(permissions.invite({ workspaceId: WS_ID, email: ACTIVE, role: 'ADMIN', actor: system, requestId: unknownId() }))
      .rejects.toMatchObject({ code: Codes.PERMISSION_EXISTS });
    await expect(permissions.checkInvite(WS_ID, 'new@meshlab.de')).resolves.toBeUndefined();
  });
});
