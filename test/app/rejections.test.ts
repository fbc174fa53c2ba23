/** Rejections with a reason: kept as the request's outcome, written to the subject's history; and the check before the form. */
import { describe, expect, it } from 'vitest';
import { checkDecision, recordRejection } from '../../src/app/rejections.js';
import { Codes } from '../../src/domain/errors.js';
import { request, technicalUser } from '../store/contract.js';
import { ACTIVE, ADMIN, APPROVER1, APPROVER2, TEAM, unknownId, world, WS_ID } from './fixtures.js';

const archiveActive = { kind: 'permission.archive', params: { email: ACTIVE } } as const;

describe('rejecting with a reason', () => {
  it('keeps the reason as the outcome, tells the requester, and writes one history line on the permission', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: 'left' });
    const res = await w.requests.decide({ requestId: r.id, actor: APPROVER2, teamId: TEAM, verdict: 'reject', reason: '  she is still here  ' });
    expect(res.request).toMatchObject({ status: 'REJECTED', decidedBy: APPROVER2, outcome: 'she is still here' });
    expect(w.notifier.told.map((t) => t.outcome)).toEqual(['she is still here']);
    expect(await w.historyOf(ACTIVE)).toEqual([expect.objectContaining({
      id: `${r.id}:rejected`, action: 'permission.archive_rejected', actor: { type: 'slack', id: APPROVER2 },
      requestId: r.id, reason: 'she is still here', before: null, after: null, subject: expect.objectContaining({ type: 'permission', label: ACTIVE }),
    })]);
    expect((await w.permissionOf(ACTIVE)).status).toBe('ACTIVE');
  });

  it('without a reason (a direct use) still records the rejection; an approval ignores a reason', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'reject' });
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'REJECTED', outcome: null });
    expect((await w.historyOf(ACTIVE)).map((h) => h.reason)).toEqual([null]);
    const other = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }, reason: null });
    const ok = await w.requests.decide({ requestId: other.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve', reason: 'ignored' });
    expect(ok.request.outcome).toBeNull();
  });

  it('files a rejected technical-user request under the technical user, or under the request id when there is none', async () => {
    const w = await world();
    const tu = technicalUser({ workspaceId: WS_ID, userName: 'ci-bot' });
    await w.store.technicalUsers.insert(tu);
    const rotate = request({ workspaceId: WS_ID, kind: 'techuser.rotate', params: { userName: 'ci-bot' }, status: 'REJECTED', decidedBy: APPROVER1, outcome: 'not now' } as never);
    await recordRejection(w.store, rotate, new Date());
    expect(await w.store.history.listBySubject('technicalUser', tu.id, 5)).toEqual([expect.objectContaining({ action: 'techuser.rotate_rejected', reason: 'not now' })]);
    const create = request({ workspaceId: WS_ID, kind: 'techuser.create', params: { userName: 'new-bot' }, status: 'REJECTED', decidedBy: APPROVER1 } as never);
    await recordRejection(w.store, create, new Date());
    expect(await w.store.history.listBySubject('technicalUser', create.id, 5)).toEqual([expect.objectContaining({ subject: { type: 'technicalUser', id: create.id, label: 'new-bot' } })]);
  });
});

describe('checkDecision', () => {
  it('refuses, without changing anything, what decide would refuse', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    const check = (actor: string, teamId = TEAM, requestId = r.id) => checkDecision(w, { requestId, actor, teamId, verdict: 'reject' });
    await expect(check(ADMIN)).rejects.toMatchObject({ code: Codes.NOT_APPROVER });
    await expect(check(APPROVER1, 'T999')).rejects.toMatchObject({ code: Codes.WRONG_TEAM });
    await expect(check(APPROVER1, TEAM, unknownId())).rejects.toMatchObject({ code: Codes.REQUEST_NOT_FOUND });
    expect((await check(APPROVER1)).request.id).toBe(r.id);
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'PENDING', version: r.version });
    await w.requests.decide({ requestId: r.id, actor: APPROVER2, teamId: TEAM, verdict: 'approve' });
    await expect(check(APPROVER1)).rejects.toMatchObject({ code: Codes.REQUEST_NOT_PENDING, message: expect.stringContaining(`decided by <@${APPROVER2}>`) });
  });
});
