/** RequestService.apply and giveUp: carrying out approved requests, once, whatever happens. */
import { describe, expect, it } from 'vitest';
import { Codes, DomainError } from '../../src/domain/errors.js';
import { ACTIVE, ADMIN, APPROVER1, ARCHIVED, approved, flakyPermissionUpdates, INVITED, seededStore, TEAM, unknownId, world } from './fixtures.js';

const toAdmin = { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } } as const;

describe('RequestService.apply', () => {
  it('applies an approved request, writes one history line and tells the requester', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    const done = await w.requests.apply(r.id);
    expect(done).toMatchObject({ status: 'APPLIED', outcome: `${ACTIVE} is now ADMIN and ACTIVE.`, appliedAt: w.clock.now() });
    expect(await w.permissionOf(ACTIVE)).toMatchObject({ role: 'ADMIN', status: 'ACTIVE', lastChange: { id: r.id } });
    expect(await w.historyOf(ACTIVE)).toEqual([expect.objectContaining({
      action: 'permission.updated', requestId: r.id, actor: { type: 'slack', id: ADMIN }, approvers: [APPROVER1],
      before: { role: 'MEMBER' }, after: { role: 'ADMIN' },
    })]);
    expect(w.notifier.told.map((t) => [t.id, t.status])).toEqual([[r.id, 'APPLIED']]);
  });

  it('fails an approved request of a workspace retired since (gone from the seed file), changes nothing and tells people', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    await w.store.workspaces.retire(r.workspaceId, w.clock.now());
    await expect(w.requests.apply(r.id)).rejects.toMatchObject({ code: Codes.WORKSPACE_NOT_FOUND });
    const outcome = 'Workspace meshlab was removed from Keywarden (it is no longer in the seed file), so this request ended; nothing was changed.';
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'FAILED', outcome });
    expect((await w.permissionOf(ACTIVE)).role).toBe('MEMBER');
    expect(w.notifier.told.map((t) => [t.id, t.status])).toEqual([[r.id, 'FAILED']]);
  });

  it('run twice, applies once, writes one history line and tells the requester once', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    await w.requests.apply(r.id);
    const version = (await w.permissionOf(ACTIVE)).version;
    expect(await w.requests.apply(r.id)).toMatchObject({ status: 'APPLIED' });
    expect((await w.permissionOf(ACTIVE)).version).toBe(version);
    expect(await w.historyOf(ACTIVE)).toHaveLength(1);
    expect(w.notifier.told).toHaveLength(1);
  });

  it('run concurrently, applies once, writes one history line and tells the requester once', async () => {
    const w = await world();
    const r = await approved(w, { kind: 'permission.archive', params: { email: ACTIVE } });
    const before = (await w.permissionOf(ACTIVE)).version;
    const results = await Promise.all([1, 2, 3, 4].map(() => w.requests.apply(r.id)));
    expect(results.map((x) => x?.status)).toEqual(['APPLIED', 'APPLIED', 'APPLIED', 'APPLIED']);
    expect((await w.permissionOf(ACTIVE)).version).toBe(before + 1);
    expect(await w.historyOf(ACTIVE)).toHaveLength(1);
    expect(w.notifier.told).toHaveLength(1);
  });

  it('finishes a run that died after changing the permission but before writing history', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    // What the dead run left behind: the permission changed and marked with the request id, no history line.
    const p = await w.permissionOf(ACTIVE);
    await w.store.permissions.update(p.id, p.version, { role: 'ADMIN', lastChange: { id: r.id, before: { role: 'MEMBER', status: 'ACTIVE' } } });
    expect(await w.historyOf(ACTIVE)).toEqual([]);

    expect(await w.requests.apply(r.id)).toMatchObject({ status: 'APPLIED', outcome: `${ACTIVE} is now ADMIN and ACTIVE.` });
    expect((await w.permissionOf(ACTIVE)).version).toBe(p.version + 1);
    expect(await w.historyOf(ACTIVE)).toEqual([expect.objectContaining({ requestId: r.id, before: { role: 'MEMBER' }, after: { role: 'ADMIN' } })]);
    expect(w.notifier.told).toHaveLength(1);
  });

  it('finishes a run that died after the permission change and its history line, before the request update', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    const p = await w.permissionOf(ACTIVE);
    await w.permissions.change({ permissionId: p.id, change: { role: 'ADMIN' }, actor: { type: 'slack', id: ADMIN }, requestId: r.id });
    expect(await w.requests.apply(r.id)).toMatchObject({ status: 'APPLIED' });
    expect((await w.permissionOf(ACTIVE)).version).toBe(p.version + 1);
    expect(await w.historyOf(ACTIVE)).toHaveLength(1);
  });

  it.each([
    ['the role was set meanwhile', toAdmin, { role: 'ADMIN' } as const, ACTIVE, Codes.PERMISSION_UNCHANGED],
    ['the user was archived meanwhile', { kind: 'permission.archive', params: { email: ACTIVE } } as const, { status: 'ARCHIVED' } as const, ACTIVE, Codes.PERMISSION_UNCHANGED],
    ['the user was activated meanwhile', { kind: 'permission.activate', params: { email: ARCHIVED } } as const, { status: 'ACTIVE' } as const, ARCHIVED, Codes.PERMISSION_UNCHANGED],
  ])('marks the request FAILED with the reason and rethrows a DomainError when %s', async (_why, request, meanwhile, email, code) => {
    const w = await world();
    const r = await approved(w, request);
    const p = await w.permissionOf(email);
    await w.permissions.change({ permissionId: p.id, change: meanwhile, actor: { type: 'system' } });

    const err = await w.requests.apply(r.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code });
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'FAILED', outcome: (err as Error).message, appliedAt: null });
    expect(w.notifier.told.map((t) => t.status)).toEqual(['FAILED']);
    // Only the change made meanwhile is in the history.
    expect((await w.historyOf(email)).map((h) => h.requestId)).toEqual([null]);
  });

  it('fails an invite whose user got a permission meanwhile', async () => {
    const w = await world();
    const r = await approved(w, { kind: 'permission.invite', params: { email: 'new@meshlab.de', role: 'VIEWER' } });
    await w.permissions.invite({ workspaceId: w.ws.id, email: 'NEW@meshlab.de', role: 'ADMIN', actor: { type: 'system' }, requestId: unknownId() });
    await expect(w.requests.apply(r.id)).rejects.toMatchObject({ code: Codes.PERMISSION_EXISTS });
    expect((await w.store.requests.findById(r.id))?.status).toBe('FAILED');
    expect((await w.permissionOf('new@meshlab.de')).role).toBe('ADMIN');
  });

  it('invites once however often it runs', async () => {
    const w = await world();
    const r = await approved(w, { kind: 'permission.invite', params: { email: 'new@meshlab.de', role: 'VIEWER' } });
    await Promise.all([w.requests.apply(r.id), w.requests.apply(r.id)]);
    await w.requests.apply(r.id);
    expect(await w.permissionOf('new@meshlab.de')).toMatchObject({ role: 'VIEWER', status: 'INVITED' });
    expect(await w.historyOf('new@meshlab.de')).toEqual([expect.objectContaining({ action: 'permission.invited', requestId: r.id })]);
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'APPLIED', outcome: 'new@meshlab.de invited as VIEWER.' });
    expect(w.notifier.told).toHaveLength(1);
  });

  it('rethrows a transient error and leaves the request APPROVED for a retry, which then applies it', async () => {
    const store = flakyPermissionUpdates(await seededStore(), 1);
    const w = await world({ store });
    const r = await approved(w, toAdmin);
    await expect(w.requests.apply(r.id)).rejects.toThrow(/connection reset/);
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'APPROVED', outcome: null });
    expect(w.notifier.told).toEqual([]);
    expect(await w.requests.apply(r.id)).toMatchObject({ status: 'APPLIED' });
    expect(store.failures()).toBe(1);
  });

  it('does nothing for a request that is unknown, pending or rejected', async () => {
    const w = await world();
    expect(await w.requests.apply(unknownId())).toBeNull();
    const pending = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: toAdmin, reason: null });
    expect(await w.requests.apply(pending.id)).toMatchObject({ status: 'PENDING' });
    await w.requests.decide({ requestId: pending.id, actor: APPROVER1, teamId: TEAM, verdict: 'reject' });
    expect(await w.requests.apply(pending.id)).toMatchObject({ status: 'REJECTED' });
    expect((await w.permissionOf(ACTIVE)).role).toBe('MEMBER');
    // The rejection is in the history; no change is.
    expect((await w.historyOf(ACTIVE)).map((h) => h.action)).toEqual(['permission.role_rejected']);
  });

  it('never applies INVITED -> ACTIVE, even if such a request got stored', async () => {
    const w = await world();
    // Forge an approved request past the submit-time check, as a bug elsewhere might.
    const r = await approved(w, { kind: 'permission.archive', params: { email: INVITED } });
    const stored = (await w.store.requests.findById(r.id))!;
    const forgedId = unknownId();
    await w.store.requests.insert({ ...stored, id: forgedId, kind: 'permission.activate', params: { email: INVITED } });
    await expect(w.requests.apply(forgedId)).rejects.toMatchObject({ code: Codes.INVITED_TO_ACTIVE });
    expect((await w.store.requests.findById(forgedId))?.status).toBe('FAILED');
    expect((await w.permissionOf(INVITED)).status).toBe('INVITED');
  });
});

describe('RequestService.giveUp', () => {
  it('marks an approved request FAILED with the reason and tells the requester', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    await w.requests.giveUp(r.id, 'it could not be applied after 6 attempts (timeout).');
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'FAILED', outcome: 'it could not be applied after 6 attempts (timeout).' });
    expect(w.notifier.told.map((t) => t.status)).toEqual(['FAILED']);
  });

  it('leaves applied, pending and unknown requests alone', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    await w.requests.apply(r.id);
    await w.requests.giveUp(r.id, 'too late');
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'APPLIED' });
    const pending = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'permission.archive', params: { email: ACTIVE } }, reason: null });
    await w.requests.giveUp(pending.id, 'nope');
    expect((await w.store.requests.findById(pending.id))?.status).toBe('PENDING');
    await expect(w.requests.giveUp(unknownId(), 'x')).resolves.toBeUndefined();
  });
});
