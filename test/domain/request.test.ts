import { describe, expect, it } from 'vitest';
import { Codes } from '../../src/domain/errors.js';
import { canTransition, decide, isFinal, reminderDueAt, REQUEST_STATUSES, type Approval, type Deciders, type RequestStatus } from '../../src/domain/request.js';
import { DEFAULT_POLICY, type Workspace } from '../../src/domain/workspace.js';
import { refusal } from './refusal.js';

const NOW = new Date('2030-06-01T12:00:00.000Z');
const LATER = new Date(NOW.getTime() + 3600_000);

function workspace(requiredApprovals = 1): Workspace {
  return {
    id: 'ws-1', name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'C1', notificationChannels: [] },
    admins: ['UADMIN', 'UBOTH'], approvers: ['UA1', 'UA2', 'UBOTH'], policy: { ...DEFAULT_POLICY, requiredApprovals },
  };
}

/** The deciders of the default rule of workspace(n): its approvers, max(1, n) approvals. */
const deciders = (requiredApprovals = 1): Deciders => {
  const ws = workspace(requiredApprovals);
  return { approvals: Math.max(1, requiredApprovals), people: new Set(ws.approvers), label: `approvers of workspace ${ws.name}` };
};

function pending(over: { requester?: string; approvals?: Approval[]; status?: RequestStatus; expiresAt?: Date } = {}) {
  return { status: 'PENDING' as RequestStatus, requester: 'UADMIN', approvals: [] as Approval[], expiresAt: LATER, ...over };
}


describe('decide', () => {
  it.each(REQUEST_STATUSES.filter((s) => s !== 'PENDING'))('refuses a request that is %s', (status) => {
    expect(refusal(() => decide(pending({ status }), deciders(), 'UA1', 'approve', NOW))).toBe(Codes.REQUEST_NOT_PENDING);
    expect(refusal(() => decide(pending({ status }), deciders(), 'UA1', 'reject', NOW))).toBe(Codes.REQUEST_NOT_PENDING);
  });

  it('refuses a request at and after its expiry, and accepts it a millisecond before', () => {
    const at = (t: Date) => refusal(() => decide(pending({ expiresAt: NOW }), deciders(), 'UA1', 'approve', t));
    expect(at(NOW)).toBe(Codes.REQUEST_EXPIRED);
    expect(at(new Date(NOW.getTime() + 1))).toBe(Codes.REQUEST_EXPIRED);
    expect(at(new Date(NOW.getTime() - 1))).toBeUndefined();
  });

  it('refuses rejections of an expired request too', () => {
    expect(refusal(() => decide(pending({ expiresAt: NOW }), deciders(), 'UA1', 'reject', NOW))).toBe(Codes.REQUEST_EXPIRED);
  });

  it('refuses someone who is not an approver, even an admin of the workspace', () => {
    for (const actor of ['UOUTSIDER', 'UADMIN2', '']) {
      expect(refusal(() => decide(pending({ requester: 'UBOTH' }), deciders(), actor, 'approve', NOW))).toBe(Codes.NOT_APPROVER);
    }
    expect(refusal(() => decide(pending({ requester: 'UBOTH' }), deciders(), 'UADMIN', 'reject', NOW))).toBe(Codes.NOT_APPROVER);
  });

  it('refuses an approver deciding their own request, either way', () => {
    const r = pending({ requester: 'UBOTH' });
    expect(refusal(() => decide(r, deciders(), 'UBOTH', 'approve', NOW))).toBe(Codes.SELF_DECISION);
    expect(refusal(() => decide(r, deciders(), 'UBOTH', 'reject', NOW))).toBe(Codes.SELF_DECISION);
  });

  it('approves with one approval when the policy needs one', () => {
    expect(decide(pending(), deciders(1), 'UA1', 'approve', NOW)).toEqual({
      status: 'APPROVED', approvals: [{ by: 'UA1', at: NOW }], decidedBy: 'UA1', decidedAt: NOW,
    });
  });

  it('treats a policy of zero approvals as one: nothing is approved without an approver', () => {
    expect(decide(pending(), deciders(0), 'UA1', 'approve', NOW).status).toBe('APPROVED');
  });

  it('needs two distinct approvers when the policy says two', () => {
    const ws = deciders(2);
    const first = decide(pending(), ws, 'UA1', 'approve', NOW);
    expect(first).toEqual({ status: 'PENDING', approvals: [{ by: 'UA1', at: NOW }], decidedBy: null, decidedAt: null });

    const t2 = new Date(NOW.getTime() + 1000);
    const second = decide(pending({ approvals: first.approvals }), ws, 'UA2', 'approve', t2);
    expect(second).toEqual({
      status: 'APPROVED', approvals: [{ by: 'UA1', at: NOW }, { by: 'UA2', at: t2 }], decidedBy: 'UA2', decidedAt: t2,
    });
  });

  it('counts each approver once', () => {
    const r = pending({ approvals: [{ by: 'UA1', at: NOW }] });
    expect(refusal(() => decide(r, deciders(2), 'UA1', 'approve', NOW))).toBe(Codes.ALREADY_APPROVED_BY_YOU);
  });

  it('rejects at once, keeping earlier approvals and naming the rejecter', () => {
    const approvals = [{ by: 'UA1', at: NOW }];
    expect(decide(pending({ approvals }), deciders(2), 'UA2', 'reject', NOW)).toEqual({
      status: 'REJECTED', approvals, decidedBy: 'UA2', decidedAt: NOW,
    });
  });

  it('does not modify the request it is given', () => {
    const r = pending();
    decide(r, deciders(2), 'UA1', 'approve', NOW);
    expect(r.approvals).toEqual([]);
  });

  it('checks "still pending" before anything else', () => {
    const r = pending({ status: 'APPROVED', expiresAt: NOW, requester: 'UA1' });
    expect(refusal(() => decide(r, deciders(), 'UA1', 'approve', NOW))).toBe(Codes.REQUEST_NOT_PENDING);
  });
});

describe('canTransition', () => {
  const allowed = new Set([
    'PENDING>APPROVED', 'PENDING>REJECTED', 'PENDING>EXPIRED', 'PENDING>CANCELLED', 'APPROVED>APPLIED', 'APPROVED>FAILED',
  ]);
  const pairs = REQUEST_STATUSES.flatMap((from) => REQUEST_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.has(`${from}>${to}`));
  });

  it('never goes back to PENDING or APPROVED, and never stays put', () => {
    for (const s of REQUEST_STATUSES) {
      expect(canTransition(s, s)).toBe(false);
      if (s !== 'PENDING') expect(canTransition(s, 'PENDING')).toBe(false);
    }
    expect(canTransition('APPLIED', 'APPROVED')).toBe(false);
    expect(canTransition('FAILED', 'APPROVED')).toBe(false);
  });

  it('calls final exactly the statuses with no way out', () => {
    expect(REQUEST_STATUSES.filter(isFinal)).toEqual(['REJECTED', 'EXPIRED', 'CANCELLED', 'APPLIED', 'FAILED']);
  });
});

describe('reminderDueAt', () => {
  const H = 3_600_000;
  const created = new Date('2026-11-22T12:00:00Z');
  const after = (h: number) => new Date(created.getTime() + h * H);

  it('is the given hours before expiry', () => {
    expect(reminderDueAt(created, after(72), 24)).toEqual(after(48));
  });

  it('never comes before half the time to decide has passed', () => {
    expect(reminderDueAt(created, after(12), 24)).toEqual(after(6));
    expect(reminderDueAt(created, after(48), 24)).toEqual(after(24));
  });

  it('is null when the policy asks for none', () => {
    expect(reminderDueAt(created, after(72), 0)).toBeNull();
    expect(reminderDueAt(created, after(72), Number.NaN)).toBeNull();
  });
});
