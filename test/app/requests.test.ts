/** RequestService: submitting and deciding requests (applying them is in requests-apply.test.ts). */
import { describe, expect, it } from 'vitest';
import { Codes, DomainError } from '../../src/domain/errors.js';
import { ACTIVE, ADMIN, APPROVER1, APPROVER2, INVITED, TEAM, unknownId, world } from './fixtures.js';

const HOUR = 3600_000;
const archiveActive = { kind: 'permission.archive', params: { email: ACTIVE } } as const;

describe('RequestService.submit', () => {
  it('stores a PENDING request, posts it once and remembers where', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: 'left' });
    expect(r).toMatchObject({ status: 'PENDING', requester: ADMIN, reason: 'left', approvals: [], version: 0, slack: { channel: 'CAPPROVALS' } });
    expect(r.expiresAt.getTime() - r.createdAt.getTime()).toBe(72 * HOUR);
    expect(w.notifier.created.map((c) => c.id)).toEqual([r.id]);
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'PENDING', slack: r.slack });
  });

  it('cancels the request and says so when the approval message cannot be posted', async () => {
    const w = await world();
    w.notifier.failCreate = true;
    const attempt = w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ code: 'SLACK.POST_FAILED', message: expect.stringMatching(/nothing was requested/) });
    const [posted] = w.notifier.created;
    expect(await w.store.requests.findById(posted!.id)).toMatchObject({ status: 'CANCELLED', outcome: expect.any(String) });
    expect(w.logs.text).toContain('could not post the approval message');
    // A cancelled request cannot be approved afterwards.
    await expect(w.requests.decide({ requestId: posted!.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' }))
      .rejects.toMatchObject({ code: Codes.REQUEST_NOT_PENDING });
    expect(w.queue.enqueued).toEqual([]);
  });

  it('refuses a requester who is not an admin, before posting anything', async () => {
    const w = await world();
    await expect(w.requests.submit({ workspace: w.ws, requester: APPROVER1, request: archiveActive, reason: null }))
      .rejects.toMatchObject({ code: Codes.NOT_ADMIN });
    expect(w.notifier.created).toEqual([]);
  });

  it.each([
    ['INVITED -> ACTIVE', { kind: 'permission.activate', params: { email: INVITED } }, Codes.INVITED_TO_ACTIVE],
    ['a no-op role change', { kind: 'permission.role', params: { email: ACTIVE, role: 'MEMBER' } }, Codes.PERMISSION_UNCHANGED],
    ['an unknown user', { kind: 'permission.archive', params: { email: 'nobody@meshlab.de' } }, Codes.USER_NOT_FOUND],
    ['inviting someone already there', { kind: 'permission.invite', params: { email: ACTIVE.toUpperCase(), role: 'VIEWER' } }, Codes.PERMISSION_EXISTS],
  ] as const)('refuses %s before anyone is asked', async (_why, request, code) => {
    const w = await world();
    await expect(w.requests.submit({ workspace: w.ws, requester: ADMIN, request, reason: null })).rejects.toMatchObject({ code });
    expect(w.notifier.created).toEqual([]);
  });
});

describe('RequestService.remindApprovers', () => {
  it('reminds the approvers of a pending request once, 24 hours before it expires', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    expect(r.remindAt).toEqual(new Date(r.expiresAt.getTime() - 24 * HOUR));
    w.clock.advance(47 * HOUR);
    expect(await w.requests.remindApprovers()).toBe(0);
    w.clock.advance(HOUR);
    expect(await w.requests.remindApprovers()).toBe(1);
    expect(await w.requests.remindApprovers()).toBe(0);
    expect(w.notifier.reminded.map((x) => x.id)).toEqual([r.id]);
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'PENDING', remindAt: null });
  });

  it('does not remind about a decided request, nor in a workspace that asks for no reminders', async () => {
    const w = await world();
    const decided = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    await w.requests.decide({ requestId: decided.id, actor: APPROVER1, teamId: TEAM, verdict: 'reject' });
    const quiet = { ...w.ws, policy: { ...w.ws.policy, reminderHoursBeforeExpiry: 0 } };
    const never = await w.requests.submit({ workspace: quiet, requester: ADMIN, request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }, reason: null });
    expect(never.remindAt).toBeNull();
    w.clock.advance(71 * HOUR);
    expect(await w.requests.remindApprovers()).toBe(0);
    expect(w.notifier.reminded).toEqual([]);
  });

  it('two sweeps at once remind once; a reminder Slack refuses is logged and not repeated', async () => {
    const w = await world();
    await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    w.clock.advance(49 * HOUR);
    const counts = await Promise.all([w.requests.remindApprovers(), w.requests.remindApprovers()]);
    expect(counts.sort()).toEqual([0, 1]);
    const w2 = await world();
    await w2.requests.submit({ workspace: w2.ws, requester: ADMIN, request: archiveActive, reason: null });
    w2.clock.advance(49 * HOUR);
    w2.notifier.failRemind = true;
    expect(await w2.requests.remindApprovers()).toBe(0);
    expect(w2.logs.text).toContain('could not remind the approvers');
    w2.notifier.failRemind = false;
    expect(await w2.requests.remindApprovers()).toBe(0);
  });
});

describe('RequestService.postUnposted', () => {
  const MINUTE = 60_000;
  /** A submit whose process "stops" while posting: stored, never posted. */
  const strand = async (w: Awaited<ReturnType<typeof world>>) => {
    w.notifier.hangCreate = true;
    void w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: 'left' }); // never returns
    await new Promise((r) => setTimeout(r, 10));
    w.notifier.hangCreate = false;
    return w.notifier.created.at(-1)!;
  };

  it('posts a request whose process stopped before posting it, once, after 5 minutes; then it can be decided', async () => {
    const w = await world();
    const stranded = await strand(w);
    expect(await w.store.requests.findById(stranded.id)).toMatchObject({ status: 'PENDING', slack: null });

    w.clock.advance(4 * MINUTE); // a submit could still be posting
    expect(await w.requests.postUnposted()).toBe(0);
    w.clock.advance(2 * MINUTE);
    expect(await w.requests.postUnposted()).toBe(1);
    expect(w.notifier.created.map((r) => r.id)).toEqual([stranded.id, stranded.id]);
    expect(await w.store.requests.findById(stranded.id)).toMatchObject({ status: 'PENDING', slack: { channel: 'CAPPROVALS' } });
    expect(await w.requests.postUnposted()).toBe(0);
    expect(w.logs.text).toContain('posted a request that was stored but never posted for approval');

    const res = await w.requests.decide({ requestId: stranded.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    expect(res).toMatchObject({ queued: true, request: { status: 'APPROVED' } });
    expect(w.notifier.updated.at(-1)).toMatchObject({ id: stranded.id, status: 'APPROVED', slack: { channel: 'CAPPROVALS' } });
  });

  it('tries again at the next sweep when Slack will not take the post', async () => {
    const w = await world();
    await strand(w);
    w.clock.advance(6 * MINUTE);
    w.notifier.failCreate = true;
    expect(await w.requests.postUnposted()).toBe(0);
    expect(w.logs.text).toContain('the next sweep tries again');
    w.notifier.failCreate = false;
    expect(await w.requests.postUnposted()).toBe(1);
    expect(await w.requests.postUnposted()).toBe(0);
  });

  it('leaves alone requests that were posted, decided, or are younger than 5 minutes', async () => {
    const w = await world();
    const posted = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    w.clock.advance(10 * MINUTE);
    expect(await w.requests.postUnposted()).toBe(0);
    expect(w.notifier.created.map((r) => r.id)).toEqual([posted.id]);
  });
});

describe('RequestService.decide', () => {
  it('approves, queues the request and tells the requester nothing yet', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    const res = await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    expect(res).toMatchObject({ queued: true, request: { status: 'APPROVED', decidedBy: APPROVER1 } });
    expect(w.queue.enqueued).toEqual([r.id]);
    expect(w.notifier.updated.at(-1)?.status).toBe('APPROVED');
    expect(w.notifier.told).toEqual([]);
  });

  it('records APPROVED even when the queue is down, and the outbox sweep queues it after 30 s', async () => {
    const w = await world();
    w.queue.down = true;
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    const res = await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    expect(res.queued).toBe(false);
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'APPROVED' });
    expect(w.logs.text).toContain('outbox sweep will queue');

    w.queue.down = false;
    w.clock.advance(10_000);
    expect(await w.requests.sweepApproved()).toBe(0);
    expect(w.queue.enqueued).toEqual([]);
    w.clock.advance(21_000);
    expect(await w.requests.sweepApproved()).toBe(1);
    expect(w.queue.enqueued).toEqual([r.id]);
  });

  it('rejects: nothing is queued and the requester is told', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    const res = await w.requests.decide({ requestId: r.id, actor: APPROVER2, teamId: TEAM, verdict: 'reject' });
    expect(res).toMatchObject({ queued: false, request: { status: 'REJECTED', decidedBy: APPROVER2 } });
    expect(w.queue.enqueued).toEqual([]);
    expect(w.notifier.told.map((t) => t.status)).toEqual(['REJECTED']);
    expect((await w.store.requests.findById(r.id))?.notifiedAt).toEqual(w.clock.now());
    expect((await w.permissionOf(ACTIVE)).status).toBe('ACTIVE');
  });

  it('marks a request clicked after its expiry EXPIRED and tells the requester', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    w.clock.advance(72 * HOUR);
    await expect(w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' }))
      .rejects.toMatchObject({ code: Codes.REQUEST_EXPIRED });
    expect(await w.store.requests.findById(r.id)).toMatchObject({ status: 'EXPIRED', outcome: 'Nobody decided in time.' });
    expect(w.notifier.told.map((t) => t.status)).toEqual(['EXPIRED']);
    expect(w.queue.enqueued).toEqual([]);
  });

  it('names who decided when a second click arrives, and changes nothing', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    const before = await w.store.requests.findById(r.id);
    await expect(w.requests.decide({ requestId: r.id, actor: APPROVER2, teamId: TEAM, verdict: 'reject' }))
      .rejects.toMatchObject({ code: Codes.REQUEST_NOT_PENDING, message: expect.stringContaining(`decided by <@${APPROVER1}>`) });
    expect(await w.store.requests.findById(r.id)).toEqual(before);
    expect(w.queue.enqueued).toEqual([r.id]);
  });

  it('lets only one of many concurrent clicks decide', async () => {
    const w = await world();
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    const clicks = [APPROVER1, APPROVER2, APPROVER1, APPROVER2].map((actor, i) =>
      w.requests.decide({ requestId: r.id, actor, teamId: TEAM, verdict: i % 3 === 0 ? 'approve' : 'reject' }));
    const results = await Promise.allSettled(clicks);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect((await w.store.requests.findById(r.id))?.version).toBe(1);
    expect(w.queue.enqueued.length).toBeLessThanOrEqual(1);
  });

  it('needs two distinct approvers under a two-approver policy', async () => {
    const w = await world({ requiredApprovals: 2 });
    const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
    const first = await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
    expect(first).toMatchObject({ queued: false, request: { status: 'PENDING', approvals: [{ by: APPROVER1 }] } });
    await expect(w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' }))
      .rejects.toMatchObject({ code: Codes.ALREADY_APPROVED_BY_YOU });
    const second = await w.requests.decide({ requestId: r.id, actor: APPROVER2, teamId: TEAM, verdict: 'approve' });
    expect(second).toMatchObject({ queued: true, request: { status: 'APPROVED', decidedBy: APPROVER2 } });
  });

  it('refuses a click from another Slack team and an unknown request', async () => {
    const w = await world();
    const other = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }, reason: null });
    await expect(w.requests.decide({ requestId: other.id, actor: APPROVER1, teamId: 'T2', verdict: 'approve' }))
      .rejects.toMatchObject({ code: Codes.WRONG_TEAM });
    expect((await w.store.requests.findById(other.id))?.status).toBe('PENDING');
    await expect(w.requests.decide({ requestId: unknownId(), actor: APPROVER1, teamId: TEAM, verdict: 'approve' }))
      .rejects.toMatchObject({ code: Codes.REQUEST_NOT_FOUND });
  });
});
