/**
 * Policy rules through the use cases: approvals 0 applied at once and announced, required
 * reasons, break-glass (applied without approval, announced, reminded once per period until
 * reviewed, reverted by Revert now or when its time is up) and escalation.
 */
import { describe, expect, it } from 'vitest';
import { BreakGlassService } from '../../src/app/break-glass.js';
import { Escalations } from '../../src/app/escalation.js';
import { Codes } from '../../src/domain/errors.js';
import type { PolicyRule } from '../../src/domain/policy.js';
import type { NewRequest } from '../../src/domain/request.js';
import { createLog } from '../../src/log.js';
import { statusLine } from '../../src/slack/blocks/request.js';
import { crashWorld, existingBot, type CrashWorld } from '../reliability/crash-world.js';
import { ACTIVE, ADMIN, APPROVER1, APPROVER2, TEAM, WS_ID } from './fixtures.js';

const HOUR = 3600_000;
const HEAD = 'UHEAD';

async function withRules(rules: PolicyRule[], extra: object = {}) {
  const w = await crashWorld();
  await w.f.store.workspaces.upsert({ ...w.ws, policy: { ...w.ws.policy, rules, ...extra } });
  const ws = (await w.f.store.workspaces.findById(WS_ID))!;
  const deps = { store: w.f.store, clock: w.clock, log: createLog('silent'), notifier: w.notifier, grants: w.grants, policies: w.requests.policies };
  return { w, ws, breakGlass: new BreakGlassService(deps), escalations: new Escalations(deps) };
}

const submit = (x: { w: CrashWorld; ws: any }, request: NewRequest, reason: string | null, breakGlass = false) =>
  x.w.requests.submit({ workspace: x.ws, requester: ADMIN, request, reason, breakGlass });
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: { code?: string; message: string }) => `${err.code}: ${err.message}`);
const role = async (w: CrashWorld) => {
  const user = await w.f.store.users.findByEmail(ACTIVE);
  return (await w.f.store.permissions.find(WS_ID, user!.id))!;
};

describe('approvals: 0', () => {
  it('applies at once, announced in the approvals channel with who asked and why; other requests still wait', async () => {
    const x = await withRules([{ kinds: ['permission.invite'], roles: ['VIEWER'], approvals: 0 }]);
    const r = await submit(x, { kind: 'permission.invite', params: { email: 'new.viewer@meshlab.de', role: 'VIEWER' } }, 'reads the dashboards');
    expect(r).toMatchObject({ status: 'APPROVED', decidedBy: null, approvals: [], rule: { index: 0, approvals: 0 } });
    expect(x.w.notifier.created.map((c) => [c.id, c.requester, c.reason])).toEqual([[r.id, ADMIN, 'reads the dashboards']]);
    expect(x.w.queue.enqueued).toEqual([r.id]);
    const applied = (await x.w.requests.apply(r.id))!;
    expect(applied.status).toBe('APPLIED');
    expect(statusLine(applied, x.ws)).toMatch(/^:zap: Applied at once: rule 1 of the policy needs no approval\. Applied: /);
    const member = await submit(x, { kind: 'permission.invite', params: { email: 'new.member@meshlab.de', role: 'MEMBER' } }, null);
    expect(member).toMatchObject({ status: 'PENDING', rule: { index: null, approvals: 1 } });
  });
});

describe('approvals: 0, when the process stops before approving', () => {
  it('is approved by the outbox sweep once the unposted time has passed, once however many sweeps run', async () => {
    const x = await withRules([{ kinds: ['permission.invite'], roles: ['VIEWER'], approvals: 0 }]);
    // The process "stops" while posting: the request is stored, never approved.
    x.w.f.rule = (c) => (c.repo === 'notifier' && c.method === 'requestCreated' ? { hang: true } : undefined);
    void submit(x, { kind: 'permission.invite', params: { email: 'late.viewer@meshlab.de', role: 'VIEWER' } }, 'reads the dashboards');
    await new Promise((r) => setTimeout(r, 20));
    x.w.f.reset();
    const [stored] = await x.w.f.store.requests.listByWorkspace(WS_ID, { limit: 10 });
    expect(stored).toMatchObject({ status: 'PENDING', approveAt: x.w.clock.now() });
    expect(await x.w.requests.sweepApproved()).toBe(0); // a submit may still be posting: not overtaken
    x.w.clock.advance(6 * 60_000);
    const swept = await Promise.all([x.w.requests.sweepApproved(), x.w.requests.sweepApproved()]);
    expect(swept.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await x.w.f.store.requests.findById(stored!.id)).toMatchObject({ status: 'APPROVED', decidedBy: null });
    expect(x.w.queue.enqueued.filter((id) => id === stored!.id)).toHaveLength(1);
    expect(await x.w.requests.apply(stored!.id)).toMatchObject({ status: 'APPLIED' });
  });
});

describe('reasonRequired', () => {
  it('refuses a missing or token reason, saying what would do, and stores nothing', async () => {
    const x = await withRules([{ kinds: ['techuser.delete'], approvals: 1, reasonRequired: true }]);
    await existingBot(x.w, 'old-bot');
    const del = { kind: 'techuser.delete', params: { userName: 'old-bot' } } as const;
    for (const reason of [null, '.', '1234567890', 'asdf', '   ..........   ']) {
      expect(await refusal(submit(x, del, reason))).toMatch(/^POLICY.REASON_REQUIRED: This change needs a reason \(rule 1 of the workspace's policy\): at least 10 characters with letters in them/);
    }
    expect(await x.w.f.store.requests.listByWorkspace(WS_ID, { limit: 10 })).toEqual([]);
    expect(await submit(x, del, 'the vendor left in May')).toMatchObject({ status: 'PENDING', reason: 'the vendor left in May' });
  });
});

describe('break-glass', () => {
  const RULES: PolicyRule[] = [{ kinds: ['permission.role'], roles: ['ADMIN'], approvals: 2, approvers: [APPROVER1, APPROVER2], breakGlass: true }];
  const admin = (minutes?: number) => ({ kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN', ...(minutes && { minutes }) } }) as const;

  it('is refused where the rule does not allow it, without a time, over maxBreakGlassHours, or without a real reason', async () => {
    const x = await withRules(RULES);
    const viewer = { kind: 'permission.role', params: { email: ACTIVE, role: 'VIEWER', minutes: 60 } } as const;
    expect(await refusal(submit(x, viewer, 'the incident needs it', true))).toMatch(/^POLICY.BREAK_GLASS_REFUSED: Break-glass is not allowed for this change \(the default rule/);
    expect(await refusal(submit(x, admin(), 'the incident needs it', true))).toMatch(/^POLICY.BREAK_GLASS_REFUSED: Break-glass is always for a time/);
    expect(await refusal(submit(x, admin(5 * 60), 'the incident needs it', true))).toMatch(/^POLICY.BREAK_GLASS_REFUSED: Break-glass lasts at most 4 hours/);
    expect(await refusal(submit(x, admin(60), 'now', true))).toMatch(/^POLICY.REASON_REQUIRED: Break-glass needs a reason/);
    expect(x.w.notifier.created).toEqual([]);
  });

  it('is applied without approval, announced, reminded once per period until reviewed, and reverted when its time is up', async () => {
    const x = await withRules(RULES, { breakGlassReviewHours: 24 });
    const r = await submit(x, admin(60), 'incident 42: database locked', true);
    expect(r).toMatchObject({ status: 'APPROVED', breakGlass: { verdict: null } });
    expect(x.w.notifier.breakGlass).toEqual([{ id: r.id, what: 'used' }]);
    expect(await x.w.requests.apply(r.id)).toMatchObject({ status: 'APPLIED' });
    expect(await role(x.w)).toMatchObject({ role: 'ADMIN', grant: { requestId: r.id } });
    const applied = (await x.w.f.store.requests.findById(r.id))!;
    expect(statusLine(applied, x.ws)).toContain('Break-glass by <@UADMIN>: applied without approval; *awaiting review* by an approver');

    // Its time is up after an hour: reverted, whether or not anyone reviewed it.
    x.w.clock.advance(HOUR);
    expect(await x.w.grants.sweep()).toBe(1);
    expect(await role(x.w)).toMatchObject({ role: 'MEMBER', grant: null });

    const remind = async (hoursAfter: number) => {
      x.w.clock.advance(hoursAfter * HOUR - (x.w.clock.now().getTime() - applied.appliedAt!.getTime()));
      return x.breakGlass.remindUnreviewed();
    };
    expect(await remind(23)).toBe(0);
    expect(await remind(24)).toBe(1);
    expect(await remind(30)).toBe(0);
    expect(await Promise.all([x.breakGlass.remindUnreviewed(), x.breakGlass.remindUnreviewed()])).toEqual([0, 0]);
    expect(await remind(48)).toBe(1);
    expect(x.w.notifier.breakGlass.filter((b) => b.what === 'unreviewed')).toEqual([
      { id: r.id, what: 'unreviewed', hours: 24 }, { id: r.id, what: 'unreviewed', hours: 48 },
    ]);

    const review = (actor: string) => refusal(x.breakGlass.review({ requestId: r.id, actor, teamId: TEAM, verdict: 'reviewed' }));
    expect(await review(ADMIN)).toMatch(/^REQUEST.SELF_DECISION/);
    expect(await review('UOUTSIDER')).toMatch(/^AUTH.NOT_APPROVER: Only <@UAPPR1>, <@UAPPR2> can review this change/);
    expect(await review(APPROVER1)).toBe('accepted');
    expect(await review(APPROVER2)).toMatch(/^POLICY.BREAK_GLASS_REVIEWED: This break-glass change was already reviewed by <@UAPPR1>/);
    expect(await remind(72)).toBe(0);
    expect(statusLine((await x.w.f.store.requests.findById(r.id))!, x.ws)).toContain('reviewed by <@UAPPR1>');
  });

  it('Revert now ends the grant at once, as End now does', async () => {
    const x = await withRules(RULES);
    const r = await submit(x, admin(120), 'incident 43: payments down', true);
    await x.w.requests.apply(r.id);
    const res = await x.breakGlass.review({ requestId: r.id, actor: APPROVER2, teamId: TEAM, verdict: 'reverted' });
    expect(res).toMatchObject({ ended: true, request: { breakGlass: { verdict: 'reverted', reviewedBy: APPROVER2 } } });
    expect(await role(x.w)).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await x.w.f.store.history.findById(`${r.id}:end`)).toMatchObject({ actor: { type: 'slack', id: APPROVER2 }, after: { role: 'MEMBER' } });
    expect(x.w.notifier.grantEnds).toEqual([{ id: r.id, end: { how: 'ended', by: APPROVER2 }, revertedTo: 'MEMBER' }]);
  });
});

describe('escalation', () => {
  it('announces a request still pending after escalateAfterHours once, and lets escalateTo decide from then on', async () => {
    const x = await withRules([{ kinds: ['techuser.delete'], approvals: 1, approvers: [APPROVER1], escalateAfterHours: 24, escalateTo: [HEAD] }]);
    await existingBot(x.w, 'old-bot');
    const r = await submit(x, { kind: 'techuser.delete', params: { userName: 'old-bot' } }, null);
    const decide = (actor: string) => refusal(x.w.requests.decide({ requestId: r.id, actor, teamId: TEAM, verdict: 'approve' }));
    expect(await decide(HEAD)).toMatch(/^AUTH.NOT_APPROVER: Only <@UAPPR1> can decide/);
    x.w.clock.advance(23 * HOUR);
    expect(await x.escalations.escalateDue()).toBe(0);
    x.w.clock.advance(HOUR);
    expect(await Promise.all([x.escalations.escalateDue(), x.escalations.escalateDue()])).toEqual(expect.arrayContaining([1, 0]));
    expect(await x.escalations.escalateDue()).toBe(0);
    expect(x.w.notifier.escalations).toEqual([{ id: r.id, to: [HEAD] }]);
    expect(await decide(HEAD)).toBe('accepted');
    expect((await x.w.f.store.requests.findById(r.id))!.status).toBe('APPROVED');
  });
});
