import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Seed } from '../../src/app/seed.js';
import { readSeedFile, seedIssue } from '../../src/store/seed-file.js';

const WS = 'e1937ae6-05d4-4e43-a3b5-565e7d80b82c';
const withPolicy = (policy: object) => ({
  workspaces: [{ id: WS, name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'C1' }, admins: ['UADMIN'], approvers: ['UA1'], policy }],
});
const firstIssue = (seed: unknown) => {
  const r = Seed.safeParse(seed);
  return r.success ? null : seedIssue(r.error.issues[0]!);
};

/** The three rules of the issue and the README. */
const ISSUE_RULES = [
  { kinds: ['permission.role'], roles: ['ADMIN'], approvals: 2, approvers: ['S0SECURITY'], breakGlass: true },
  { kinds: ['permission.invite'], roles: ['VIEWER'], approvals: 0 },
  { kinds: ['techuser.delete'], approvals: 1, reasonRequired: true, escalateAfterHours: 24, escalateTo: ['U0HEAD'] },
];

describe('policy.rules in the seed file', () => {
  it('takes the example of the issue, and a seed without rules keeps working with an empty list', () => {
    const seed = Seed.parse(withPolicy({ requiredApprovals: 1, rules: ISSUE_RULES }));
    expect(seed.workspaces[0]!.policy.rules).toEqual(ISSUE_RULES);
    expect(seed.workspaces[0]!.policy).toMatchObject({ maxBreakGlassHours: 4, breakGlassReviewHours: 24 });
    expect(Seed.parse(withPolicy({ requiredApprovals: 2 })).workspaces[0]!.policy.rules).toEqual([]);
  });

  it('lets roles narrow extensions, by the role of the grant they extend', () => {
    const rules = [{ kinds: ['permission.extend', 'techuser.extend'], roles: ['ADMIN'], approvals: 2 }];
    expect(Seed.parse(withPolicy({ rules })).workspaces[0]!.policy.rules).toEqual(rules);
  });

  it.each([
    [[...ISSUE_RULES.slice(0, 2), { kinds: ['techuser.delete'], approvals: 4 }], 'workspaces[0].policy.rules[2].approvals: at most 3'],
    [[{ kinds: ['permission.role'], approvals: -1 }], 'workspaces[0].policy.rules[0].approvals: at least 0'],
    [[{ kinds: ['permission.role'], approvals: 1.5 }], 'workspaces[0].policy.rules[0].approvals: a whole number'],
    [[{ kinds: ['permission.rule'] }], 'workspaces[0].policy.rules[0].kinds[0]: a kind: one of permission.role, permission.invite, permission.archive, permission.activate, techuser.create, techuser.rotate, techuser.expiry, techuser.role, techuser.delete, permission.extend, techuser.extend'],
    [[{ kinds: [] }], 'workspaces[0].policy.rules[0].kinds: name at least one kind'],
    [[{ approvals: 1 }], 'workspaces[0].policy.rules[0].kinds: Invalid input: expected array, received undefined'],
    [[{ kinds: ['permission.role'], approvers: ['security-leads'] }], 'workspaces[0].policy.rules[0].approvers[0]: a Slack user id (U…) or user group id (S…)'],
    [[{ kinds: ['permission.role'], aprovals: 2 }], 'workspaces[0].policy.rules[0]: unknown field aprovals (a rule has kinds, roles, temporary, approvals, approvers, reasonRequired, breakGlass, escalateAfterHours, escalateTo)'],
    [[{ kinds: ['techuser.delete'], escalateAfterHours: 24 }], 'workspaces[0].policy.rules[0].escalateTo: escalateAfterHours and escalateTo go together'],
    [[{ kinds: ['techuser.rotate'], roles: ['ADMIN'] }], 'workspaces[0].policy.rules[0].roles: roles narrow only kinds with a role (permission.role, permission.invite, techuser.role, techuser.create, permission.extend, techuser.extend; for an extension, the role of the grant it extends)'],
    [[{ kinds: ['permission.invite'], breakGlass: true }], 'workspaces[0].policy.rules[0].breakGlass: breakGlass is for permission.role and techuser.role only'],
  ])('refuses a malformed rule with one line naming its path (%#)', (rules, line) => {
    expect(firstIssue(withPolicy({ rules }))).toBe(line);
  });

  it('stops the start with that line, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kw-seed-'));
    try {
      const file = join(dir, 'seed.json');
      await writeFile(file, JSON.stringify(withPolicy({ rules: [...ISSUE_RULES.slice(0, 2), { kinds: ['techuser.delete'], approvals: 9 }] })));
      await expect(readSeedFile(file)).rejects.toThrow(`SEED_FILE ${file}: workspaces[0].policy.rules[2].approvals: at most 3`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
