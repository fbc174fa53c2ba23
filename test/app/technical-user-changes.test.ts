/** /techuser owner and /techuser update: refused before approval when they change nothing; applied once. */
import { describe, expect, it } from 'vitest';
import { OwnershipReviewService } from '../../src/app/ownership-reviews.js';
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { RequestService } from '../../src/app/requests.js';
import { TechnicalUserChanges } from '../../src/app/technical-user-changes.js';
import { TechnicalUserRequests } from '../../src/app/technical-user-requests.js';
import { TechnicalUserService } from '../../src/app/technical-users.js';
import { JweTokenSealer } from '../../src/crypto/jwe-sealer.js';
import { Codes } from '../../src/domain/errors.js';
import type { NewRequest } from '../../src/domain/request.js';
import { createLog } from '../../src/log.js';
import { technicalUser } from '../store/contract.js';
import { ADMIN, APPROVER1, TEAM, world, WS_ID } from './fixtures.js';

const DAY = 86_400_000;

async function setup() {
  const w = await world();
  const log = createLog('silent');
  const users = new TechnicalUserService({ store: w.store, clock: w.clock, log, notifier: w.notifier, sealer: new JweTokenSealer('x'.repeat(40)), revealTtlHours: 24 });
  const noReviews = { askOwner: async () => {}, reviewOverdue: async () => {} };
  let reviews: OwnershipReviewService;
  const owners = { adopt: (...a: Parameters<OwnershipReviewService['adopt']>) => reviews.adopt(...a), transfer: (...a: Parameters<OwnershipReviewService['transfer']>) => reviews.transfer(...a) };
  const changes = new TechnicalUserChanges({ store: w.store, users, clock: w.clock, owners });
  const requests = new RequestService({
    store: w.store, notifier: w.notifier, queue: w.queue, clock: w.clock, log,
    handlers: {
      permission: new PermissionRequests(w.permissions),
      techuser: new TechnicalUserRequests({ store: w.store, users, clock: w.clock, owners, changes }),
    },
  });
  reviews = new OwnershipReviewService({ store: w.store, notifier: w.notifier, reviews: noReviews, requests, clock: w.clock, log });
  const tu = technicalUser({ workspaceId: WS_ID, userName: 'ci-bot', description: 'old', customerRoles: ['a'], accessControlEntities: [] });
  await w.store.technicalUsers.insert(tu);
  await reviews.adopt(tu, 'UOLDOWNER');
  const approveAndApply = async (request: NewRequest) => {
    const r = await requests.submit({ workspace: w.ws, requester: ADMIN, request, reason: null });
    await requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    return requests.apply(r.id);
  };
  const history = async () => w.store.history.listBySubject('technicalUser', tu.id, 20);
  return { w, requests, reviews, tu, approveAndApply, history, changes };
}

describe('/techuser update', () => {
  it('changes only what is given, records before and after, and a retried job changes nothing more', async () => {
    const { w, changes, tu, approveAndApply, history } = await setup();
    const applied = await approveAndApply({ kind: 'techuser.update', params: { userName: 'ci-bot', description: 'Nightly HR sync', accessControlEntities: ['eu'] } });
    expect(applied).toMatchObject({ status: 'APPLIED', outcome: expect.stringContaining('description "Nightly HR sync"') });
    expect(await w.store.technicalUsers.findById(tu.id)).toMatchObject({ description: 'Nightly HR sync', customerRoles: ['a'], accessControlEntities: ['eu'] });
    const lines = await history();
    expect(lines).toEqual([expect.objectContaining({
      action: 'techuser.updated', requestId: applied!.id,
      before: { description: 'old', accessControlEntities: [] }, after: { description: 'Nightly HR sync', accessControlEntities: ['eu'] },
    })]);
    // Carried out again (a job retried after a crash between the change and its status): the
    // same outcome, no second change, no second line.
    const version = (await w.store.technicalUsers.findById(tu.id))!.version;
    expect(await changes.carryOut(applied!, w.ws, () => { throw new Error('a re-run must not change anything'); })).toBe(applied!.outcome);
    expect((await w.store.technicalUsers.findById(tu.id))!.version).toBe(version);
    expect(await history()).toHaveLength(1);
  });

  it('is refused before approval when it changes nothing, or a label is bad', async () => {
    const { w, requests } = await setup();
    const submit = (params: Record<string, unknown>) =>
      requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'techuser.update', params: { userName: 'ci-bot', ...params } } as NewRequest, reason: null });
    await expect(submit({ description: 'old', customerRoles: ['a'] })).rejects.toMatchObject({ code: Codes.TECHUSER_UNCHANGED, message: expect.stringMatching(/changes nothing/) });
    await expect(submit({ customerRoles: ['bad role!'] })).rejects.toMatchObject({ code: Codes.TECHUSER_BAD_LABEL });
    await expect(submit({ description: 'x'.repeat(501) })).rejects.toMatchObject({ code: Codes.TECHUSER_BAD_LABEL });
    await expect(submit({ userName: 'nobody', description: 'x' })).rejects.toMatchObject({ code: Codes.TECHUSER_NOT_FOUND });
    expect(w.notifier.created).toEqual([]);
  });
});

describe('/techuser owner', () => {
  it('transfers through approval, starts a new period, and records the old and new owner', async () => {
    const { w, tu, approveAndApply, history, changes } = await setup();
    w.clock.advance(30 * DAY);
    const applied = await approveAndApply({ kind: 'techuser.owner', params: { userName: 'ci-bot', owner: 'UNEWOWNER' } });
    expect(applied!.status).toBe('APPLIED');
    expect(await w.store.ownership.findById(tu.id)).toMatchObject({ owner: 'UNEWOWNER', ownerSource: 'transfer', periodStart: w.clock.now(), stage: 'waiting' });
    expect(await history()).toEqual([expect.objectContaining({ action: 'techuser.owner_changed', before: { owner: 'UOLDOWNER' }, after: { owner: 'UNEWOWNER' } })]);
    const version = (await w.store.ownership.findById(tu.id))!.version;
    await changes.carryOut(applied!, w.ws, () => { throw new Error('a re-run must not change anything'); });
    expect((await w.store.ownership.findById(tu.id))!.version).toBe(version);
    expect(await history()).toHaveLength(1);
  });

  it('a transfer re-run after a later one changes nothing (issue 20, finding 4): R1 to Bob dies before its line, R2 to Carol, R1 again', async () => {
    const { w, tu, requests, history } = await setup();
    const approved = async (owner: string) => {
      const r = await requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'techuser.owner', params: { userName: 'ci-bot', owner } }, reason: null });
      await requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
      return r.id;
    };
    const r1 = await approved('UBOB');
    // R1's process dies right after its transfer, before its history line.
    const append = w.store.history.append.bind(w.store.history);
    w.store.history.append = async (line) => {
      if (line.id === r1) throw new Error('the process died');
      return append(line);
    };
    await expect(requests.apply(r1)).rejects.toThrow('the process died');
    w.store.history.append = append;
    expect(await w.store.ownership.findById(tu.id)).toMatchObject({ owner: 'UBOB' });

    const r2 = await approved('UCAROL');
    expect(await requests.apply(r2)).toMatchObject({ status: 'APPLIED' });
    const version = (await w.store.ownership.findById(tu.id))!.version;
    expect(await requests.apply(r1)).toMatchObject({ status: 'APPLIED', outcome: expect.stringContaining('<@UBOB>') });
    // On the old code R1's re-run made Bob the owner again.
    expect(await w.store.ownership.findById(tu.id)).toMatchObject({ owner: 'UCAROL', version });
    const lines = (await history()).map((h) => [h.requestId, h.before, h.after]);
    expect(lines).toEqual(expect.arrayContaining([[r1, { owner: 'UOLDOWNER' }, { owner: 'UBOB' }], [r2, { owner: 'UBOB' }, { owner: 'UCAROL' }]]));
    expect(lines).toHaveLength(2);
  });

  it.each([
    ['techuser.owner', { kind: 'techuser.owner', params: { userName: 'ci-bot', owner: 'UBOB' } }],
    ['techuser.update', { kind: 'techuser.update', params: { userName: 'ci-bot', description: 'Nightly HR sync' } }],
  ] as const)('%s approved for a technical user deleted and created again under its name fails (issue 20, finding 11)', async (_kind, request) => {
    const { w, tu, requests, reviews } = await setup();
    const r = await requests.submit({ workspace: w.ws, requester: ADMIN, request, reason: null });
    await requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    // Before its job runs, ci-bot is deleted and another ci-bot made, with its own owner.
    expect(await w.store.technicalUsers.delete(tu.id, (await w.store.technicalUsers.findById(tu.id))!.version)).toBe(true);
    const twin = technicalUser({ workspaceId: WS_ID, userName: 'ci-bot', description: 'the new one', customerRoles: [], accessControlEntities: [] });
    await w.store.technicalUsers.insert(twin);
    await reviews.adopt(twin, 'UTWINOWNER');
    await expect(requests.apply(r.id)).rejects.toMatchObject({ code: Codes.TECHUSER_NOT_FOUND });
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'FAILED', outcome: expect.stringMatching(/^ci-bot was deleted and created again since this request was made/) });
    expect(await w.store.technicalUsers.findById(twin.id)).toMatchObject({ description: 'the new one', version: twin.version });
    expect(await w.store.ownership.findById(twin.id)).toMatchObject({ owner: 'UTWINOWNER' });
  });

  it('is refused before approval to the current owner or to something that is not a Slack user', async () => {
    const { w, requests } = await setup();
    const submit = (owner: string) => requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'techuser.owner', params: { userName: 'ci-bot', owner } }, reason: null });
    await expect(submit('UOLDOWNER')).rejects.toMatchObject({ code: Codes.TECHUSER_UNCHANGED });
    await expect(submit('jane')).rejects.toMatchObject({ code: Codes.REVIEW_BAD_OWNER });
  });
});
