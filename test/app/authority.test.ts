/**
 * Found by review: authority was checked only at click time. An approval from someone removed
 * from the approvers since still counted toward the quorum, and a requester who was no longer an
 * admin still had the change made and got the new token. Now both are checked again when the
 * request is decided, when it is carried out, and when a token is revealed.
 */
import { describe, expect, it } from 'vitest';
import { Codes, DomainError } from '../../src/domain/errors.js';
import { ACTIVE, ADMIN, APPROVER1, APPROVER2, approved, TEAM, WS_ID, world } from './fixtures.js';
import { applyAndDieAt, approve, crashWorld } from '../reliability/crash-world.js';
import type { Store } from '../../src/app/ports.js';

const toAdmin = { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } } as const;

async function changePeople(store: Store, change: { admins?: string[]; approvers?: string[] }) {
  const ws = (await store.workspaces.findById(WS_ID))!;
  await store.workspaces.upsert({ ...ws, ...change });
}

describe('authority, checked again after the click', () => {
  it('an approval from someone no longer an approver does not count toward the quorum', async () => {
    const w = await world({ requiredApprovals: 2 });
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: toAdmin, reason: null });
    await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    await changePeople(w.store, { approvers: [APPROVER2, 'UAPPR3'] });
    const second = await w.requests.decide({ requestId: r.id, actor: APPROVER2, teamId: TEAM, verdict: 'approve' });
    expect(second.request.status).toBe('PENDING');
    const third = await w.requests.decide({ requestId: r.id, actor: 'UAPPR3', teamId: TEAM, verdict: 'approve' });
    expect(third.request.status).toBe('APPROVED');
  });

  it('a requester who is no longer an admin: the apply fails with a readable reason, nothing changes, they are told', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    await changePeople(w.store, { admins: ['USOMEONE'] });
    const err = await w.requests.apply(r.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: Codes.AUTHORITY_LOST });
    expect(await w.store.requests.findById(r.id)).toMatchObject({
      status: 'FAILED', outcome: `<@${ADMIN}> is no longer an admin of workspace meshlab, so the request was not carried out.`,
    });
    expect((await w.permissionOf(ACTIVE)).role).toBe('MEMBER');
    expect(w.notifier.told.map((t) => t.status)).toEqual(['FAILED']);
  });

  it('an approver removed between the decision and the apply: the apply fails', async () => {
    const w = await world();
    const r = await approved(w, toAdmin);
    await changePeople(w.store, { approvers: [APPROVER2] });
    await expect(w.requests.apply(r.id)).rejects.toMatchObject({ code: Codes.AUTHORITY_LOST });
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'FAILED', outcome: expect.stringContaining('Only 0 of the 1 approvals') });
    expect((await w.permissionOf(ACTIVE)).role).toBe('MEMBER');
  });

  it('a change made while they held the right finishes as APPLIED on a re-run, whatever changed since', async () => {
    const w = await crashWorld();
    const r = await approve(w, toAdmin);
    await applyAndDieAt(w, r, 'requests', 'update');
    await changePeople(w.f.store, { admins: ['USOMEONE'] });
    expect(await w.requests.apply(r)).toMatchObject({ status: 'APPLIED' });
  });

  it('a token is not shown to an owner who is no longer an admin', async () => {
    const w = await crashWorld();
    const id = await approve(w, {
      kind: 'techuser.create',
      params: { userName: 'owner-bot', role: 'VIEWER', expiry: '2030-06-30', description: '', customerRoles: [], accessControlEntities: [] },
    });
    await w.requests.apply(id);
    await changePeople(w.f.store, { admins: ['USOMEONE'] });
    await expect(w.technicalUsers.reveal(id, ADMIN)).rejects.toMatchObject({ code: Codes.AUTHORITY_LOST });
    await changePeople(w.f.store, { admins: [ADMIN] });
    expect((await w.technicalUsers.reveal(id, ADMIN)).token).toMatch(/^lxt_/);
  });
});
