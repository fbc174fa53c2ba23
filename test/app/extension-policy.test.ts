/**
 * Issue 20, finding 1: an extension needs at least what its grant needed. It falls under the rule
 * of the grant it extends (the grant's role, for a time) and any rule for `*.extend`, the stricter
 * of both (more approvals, deciders named by both); a break-glass grant is never extended past
 * maxBreakGlassHours from its start. Checked at submit, at each click and again at apply.
 */
import { describe, expect, it } from 'vitest';
import { activeGrant, extensionRequest, extensionRoom } from '../../src/app/grant-extensions.js';
import type { PolicyRule } from '../../src/domain/policy.js';
import { needsLine } from '../../src/slack/blocks/policy.js';
import { crashWorld, type CrashWorld } from '../reliability/crash-world.js';
import { ACTIVE, ADMIN, APPROVER1, APPROVER2, TEAM, WS_ID } from './fixtures.js';

const HOUR = 3600_000;
const SEC = 'USEC3';
const OPS = 'UOPS4';

async function withRules(rules: PolicyRule[], extra: object = {}) {
  const w = await crashWorld();
  await w.f.store.workspaces.upsert({ ...w.ws, policy: { ...w.ws.policy, rules, ...extra } });
  return w;
}
const ws = async (w: CrashWorld) => (await w.f.store.workspaces.findById(WS_ID))!;
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: { code?: string; message: string }) => `${err.code}: ${err.message}`);
const decide = (w: CrashWorld, requestId: string, actor: string) =>
  refusal(w.requests.decide({ requestId, actor, teamId: TEAM, verdict: 'approve' }));

/** A 1-hour ADMIN grant of ACTIVE, approved by `approvers` (or break-glass), applied. */
async function grant(w: CrashWorld, approvers: string[], breakGlass = false): Promise<string> {
  const r = await w.requests.submit({
    workspace: await ws(w), requester: ADMIN, reason: 'incident 42: the database is locked', breakGlass,
    request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN', minutes: 60 } },
  });
  for (const a of approvers) expect(await decide(w, r.id, a)).toBe('accepted');
  expect(await w.requests.apply(r.id)).toMatchObject({ status: 'APPLIED' });
  return r.id;
}

/** The extension the Extend form asks for, by `minutes`. */
async function extend(w: CrashWorld, grantId: string, minutes: number) {
  const g = await activeGrant({ store: w.f.store, grants: w.grants }, grantId, TEAM);
  return w.requests.submit({ workspace: g.workspace, requester: ADMIN, request: extensionRequest(g, minutes), reason: 'the incident goes on' });
}

describe('an extension under its grant\'s rule', () => {
  const ADMIN_RULE: PolicyRule = { kinds: ['permission.role'], roles: ['ADMIN'], approvals: 2, approvers: [APPROVER2, SEC] };

  it('needs what the grant needed: one workspace approver is not enough for a week more of ADMIN', async () => {
    const w = await withRules([ADMIN_RULE]);
    const id = await grant(w, [APPROVER2, SEC]);
    const ext = await extend(w, id, 167 * 60);
    expect(ext).toMatchObject({ status: 'PENDING', params: { grantRole: 'ADMIN' }, rule: { index: 0, approvals: 2, approvers: [APPROVER2, SEC] } });
    // On the old code the extension fell to the default rule: APPROVER1 alone approved it.
    expect(await decide(w, ext.id, APPROVER1)).toMatch(/^AUTH.NOT_APPROVER: Only <@UAPPR2>, <@USEC3> can decide/);
    expect(await decide(w, ext.id, APPROVER2)).toBe('accepted');
    expect((await w.f.store.requests.findById(ext.id))!.status).toBe('PENDING');
    expect(await decide(w, ext.id, SEC)).toBe('accepted');
    expect(await w.requests.apply(ext.id)).toMatchObject({ status: 'APPLIED' });
  });

  it('is checked again at apply: a policy tightened after the approvals fails the extension and leaves the grant as it was', async () => {
    const w = await withRules([ADMIN_RULE]);
    const id = await grant(w, [APPROVER2, SEC]);
    const ext = await extend(w, id, 60);
    await decide(w, ext.id, APPROVER2);
    await decide(w, ext.id, SEC);
    await w.f.store.workspaces.upsert({ ...(await ws(w)), policy: { ...(await ws(w)).policy, rules: [{ ...ADMIN_RULE, approvers: [SEC, OPS] }] } });
    await expect(w.requests.apply(ext.id)).rejects.toMatchObject({ code: 'AUTH.AUTHORITY_LOST' });
    expect(await w.f.store.requests.findById(ext.id)).toMatchObject({ status: 'FAILED', outcome: expect.stringMatching(/^Only 1 of the 2 approvals needed/) });
    const p = (await w.f.store.permissions.find(WS_ID, (await w.f.store.users.findByEmail(ACTIVE))!.id))!;
    expect(p.grant!.until).toEqual(new Date(p.grant!.grantedAt.getTime() + HOUR));
  });

  it('with a rule for extensions too: the larger number of approvals, from people both rules name', async () => {
    const w = await withRules([
      { kinds: ['permission.role'], roles: ['ADMIN'], approvals: 1, approvers: [APPROVER1, APPROVER2, SEC] },
      { kinds: ['permission.extend'], approvals: 2, approvers: [APPROVER2, SEC, OPS] },
    ]);
    const id = await grant(w, [APPROVER1]);
    const ext = await extend(w, id, 120);
    expect(ext.rule).toEqual({ index: 0, approvals: 2, approvers: [APPROVER1, APPROVER2, SEC], also: { index: 1, approvers: [APPROVER2, SEC, OPS] } });
    expect(needsLine(ext, await ws(w))).toBe('Needs 2 approvals from those of <@UAPPR1>, <@UAPPR2>, <@USEC3> who are also among <@UAPPR2>, <@USEC3>, <@UOPS4> (rule 1 and rule 2)');
    expect(await decide(w, ext.id, APPROVER1)).toMatch(/^AUTH.NOT_APPROVER: Only those of <@UAPPR1>, <@UAPPR2>, <@USEC3> who are also among <@UAPPR2>, <@USEC3>, <@UOPS4> can decide/);
    expect(await decide(w, ext.id, OPS)).toMatch(/^AUTH.NOT_APPROVER/);
    expect(await decide(w, ext.id, APPROVER2)).toBe('accepted');
    expect(await decide(w, ext.id, SEC)).toBe('accepted');
    expect(await w.requests.apply(ext.id)).toMatchObject({ status: 'APPLIED' });
  });

  it('a rule for extensions with more approvals than the grant\'s own rule needs them; one needing none narrows nothing', async () => {
    const w = await withRules([
      { kinds: ['permission.extend'], roles: ['VIEWER'], approvals: 0 },
      { kinds: ['permission.extend'], roles: ['ADMIN'], approvals: 2, reasonRequired: true },
    ]);
    const id = await grant(w, [APPROVER1]); // the default rule: 1 approval from the workspace's approvers
    const ext = await extend(w, id, 60);
    expect(ext.rule).toEqual({ index: null, approvals: 2, approvers: [APPROVER1, APPROVER2], also: { index: 1, approvers: [APPROVER1, APPROVER2] } });
    const g = await activeGrant({ store: w.f.store, grants: w.grants }, id, TEAM);
    await expect(w.requests.submit({ workspace: g.workspace, requester: ADMIN, request: extensionRequest(g, 60), reason: null }))
      .rejects.toMatchObject({ code: 'POLICY.REASON_REQUIRED' });
  });

  it('an extension that does not name its grant\'s role (asked before extensions had one) is not carried out', async () => {
    const w = await withRules([ADMIN_RULE]);
    const id = await grant(w, [APPROVER2, SEC]);
    const ext = await extend(w, id, 60);
    await decide(w, ext.id, APPROVER2);
    await decide(w, ext.id, SEC);
    // As an extension approved before this change reads: the same, without grantRole.
    const approved = (await w.f.store.requests.findById(ext.id))!;
    const { grantRole: _, ...params } = approved.params as { grantRole: string };
    const legacy = { ...approved, id: `${ext.id.slice(0, -4)}0000`, params } as unknown as typeof approved;
    await w.f.store.requests.insert(legacy);
    await expect(w.requests.apply(legacy.id)).rejects.toMatchObject({ code: 'GRANT.NOT_ACTIVE', message: expect.stringMatching(/does not name the role of the grant/) });
  });
});

describe('an extension of a break-glass grant', () => {
  const RULES: PolicyRule[] = [{ kinds: ['permission.role'], roles: ['ADMIN'], approvals: 2, approvers: [APPROVER1, APPROVER2], breakGlass: true }];

  it('needs the rule\'s approvals (never none), and never runs past maxBreakGlassHours from the grant\'s start', async () => {
    const w = await withRules(RULES, { maxBreakGlassHours: 4 });
    const id = await grant(w, [], true);
    const g = await activeGrant({ store: w.f.store, grants: w.grants }, id, TEAM);
    expect(extensionRoom(g.workspace, g.grant, w.clock.now(), true)).toBe(3 * 60);
    // On the old code 167 hours went to the default rule, one approval.
    expect(await refusal(extend(w, id, 167 * 60))).toMatch(/^GRANT.TOO_LONG: A break-glass grant lasts at most 4h from its start, extensions included/);
    expect(await refusal(extend(w, id, 3 * 60 + 1))).toMatch(/^GRANT.TOO_LONG/);
    const ext = await extend(w, id, 2 * 60);
    expect(ext).toMatchObject({ status: 'PENDING', rule: { index: 0, approvals: 2 } });
    const second = await extend(w, id, 60); // asked before the first is applied: fits alone, not both
    for (const r of [ext, second]) {
      await decide(w, r.id, APPROVER1);
      await decide(w, r.id, APPROVER2);
    }
    w.clock.advance(30 * 60_000);
    expect(await w.requests.apply(ext.id)).toMatchObject({ status: 'APPLIED' });
    expect(await w.requests.apply(second.id)).toMatchObject({ status: 'APPLIED' }); // 1h + 2h + 1h = 4h: still within
    expect(await refusal(extend(w, id, 60))).toMatch(/^GRANT.TOO_LONG/);
  });

  it('is refused at apply when the grant would pass the cap by then (the cap lowered after approval)', async () => {
    const w = await withRules(RULES, { maxBreakGlassHours: 4 });
    const id = await grant(w, [], true);
    const ext = await extend(w, id, 2 * 60);
    await decide(w, ext.id, APPROVER1);
    await decide(w, ext.id, APPROVER2);
    await w.f.store.workspaces.upsert({ ...(await ws(w)), policy: { ...(await ws(w)).policy, maxBreakGlassHours: 2 } });
    await expect(w.requests.apply(ext.id)).rejects.toMatchObject({ code: 'GRANT.TOO_LONG' });
    expect(await w.f.store.requests.findById(ext.id)).toMatchObject({ status: 'FAILED' });
  });
});
