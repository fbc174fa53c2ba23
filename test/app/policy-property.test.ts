/**
 * Property: for random rules (how many approvals, which users and groups), random group
 * memberships and random click sequences (the requester, outsiders, repeated clicks, people in
 * two groups, rejections), a request is APPROVED exactly when its rule's count is met by distinct
 * eligible people other than the requester; when the groups then change before the job runs, it
 * is APPLIED only if that is still so; and applying it again changes nothing more.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { PermissionService } from '../../src/app/permissions.js';
import { Policies } from '../../src/app/policies.js';
import type { Directory } from '../../src/app/ports.js';
import { RequestService } from '../../src/app/requests.js';
import { createLog } from '../../src/log.js';
import { ACTIVE, ADMIN, FakeClock, FakeNotifier, FakeQueue, seededStore, TEAM, WS_ID } from './fixtures.js';

const PEOPLE = ['UP1', 'UP2', 'UP3', 'UP4', ADMIN] as const;
const GROUPS = ['SG1', 'SG2'] as const;

class FakeDirectory implements Directory {
  constructor(public groups: Record<string, string[]>) {}
  async groupMembers(id: string) {
    return this.groups[id] ?? [];
  }
  async forget() {}
}

const members = fc.subarray([...PEOPLE]);
const scenario = fc.record({
  approvals: fc.integer({ min: 1, max: 3 }),
  approvers: fc.subarray([...GROUPS, 'UP1', 'UP2', ADMIN], { minLength: 1 }),
  before: fc.record({ SG1: members, SG2: members }),
  after: fc.record({ SG1: members, SG2: members }),
  clicks: fc.array(fc.record({ who: fc.constantFrom(...PEOPLE, 'UOUTSIDER'), verdict: fc.constantFrom('approve', 'approve', 'approve', 'reject') }), { maxLength: 8 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const eligible = (approvers: string[], groups: Record<string, string[]>) =>
  new Set(approvers.flatMap((a) => (a.startsWith('S') ? groups[a] ?? [] : [a])));

/** What the rule says should come of the clicks, worked out the plain way. */
function expected(s: Scenario) {
  const who = eligible(s.approvers, s.before);
  let status = 'PENDING';
  const approvals: string[] = [];
  for (const c of s.clicks) {
    if (status !== 'PENDING' || !who.has(c.who) || c.who === ADMIN) continue;
    if (c.verdict === 'reject') status = 'REJECTED';
    else if (!approvals.includes(c.who)) {
      approvals.push(c.who);
      if (approvals.length >= s.approvals) status = 'APPROVED';
    }
  }
  const still = eligible(s.approvers, s.after);
  const final = status !== 'APPROVED' ? status : approvals.filter((a) => still.has(a)).length >= s.approvals ? 'APPLIED' : 'FAILED';
  return { status, approvals, final };
}

async function run(s: Scenario) {
  const store = await seededStore();
  const ws = (await store.workspaces.findById(WS_ID))!;
  await store.workspaces.upsert({
    ...ws, policy: { ...ws.policy, rules: [{ kinds: ['permission.role'], roles: ['ADMIN'], approvals: s.approvals, approvers: s.approvers }] },
  });
  const directory = new FakeDirectory(s.before);
  const clock = new FakeClock();
  const permissions = new PermissionService(store, clock);
  const requests = new RequestService({
    store, clock, notifier: new FakeNotifier(), queue: new FakeQueue(), log: createLog('silent'),
    handlers: { permission: new PermissionRequests(permissions) }, policies: new Policies(directory),
  });
  const r = await requests.submit({ workspace: (await store.workspaces.findById(WS_ID))!, requester: ADMIN, request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }, reason: null });
  for (const c of s.clicks) {
    clock.advance(1000);
    await requests.decide({ requestId: r.id, actor: c.who, teamId: TEAM, verdict: c.verdict }).catch((err: unknown) => {
      if (!(err instanceof Error) || err.name !== 'DomainError') throw err;
    });
  }
  const decided = (await store.requests.findById(r.id))!;
  directory.groups = s.after;
  for (let i = 0; i < 2; i++) await requests.apply(r.id).catch(() => undefined);
  const done = (await store.requests.findById(r.id))!;
  const user = (await store.users.findByEmail(ACTIVE))!;
  const p = (await store.permissions.find(WS_ID, user.id))!;
  const lines = (await store.history.listBySubject('permission', p.id, 100)).filter((h) => h.requestId === r.id && !h.id.endsWith(":rejected"));
  return { decided, done, role: p.role, lines };
}

describe('approval by policy rule (property)', () => {
  it('applies iff the rule\'s count is met by distinct eligible people, still so at the job, and never twice', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const want = expected(s);
        const got = await run(s);
        expect(got.decided.status).toBe(want.status);
        expect(got.decided.approvals.map((a) => a.by)).toEqual(want.approvals);
        expect(got.done.status).toBe(want.final);
        expect(got.role).toBe(want.final === 'APPLIED' ? 'ADMIN' : 'MEMBER');
        expect(got.lines.length).toBe(want.final === 'APPLIED' ? 1 : 0);
      }),
      { numRuns: 150 },
    );
  });
});
