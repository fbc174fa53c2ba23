/** policy.accessReviews in the seed file: defaults filled in, a malformed entry named by its path. */
import { describe, expect, it } from 'vitest';
import { Seed } from '../../src/app/seed.js';
import { seedIssue } from '../../src/store/seed-file.js';

const ws = (accessReviews: unknown) => ({
  workspaces: [{ id: '7c3f1a52-9d1e-4b8a-8e11-2f5d3c9a0b77', name: 'x', slack: { teamId: 'T1', approvalsChannel: 'C1' }, policy: { accessReviews } }],
});
const issue = (accessReviews: unknown) => {
  const r = Seed.safeParse(ws(accessReviews));
  return r.success ? null : seedIssue(r.error.issues[0]!);
};

describe('policy.accessReviews', () => {
  it('fills in statuses (ACTIVE and INVITED), reviewers (the approvers: none named) and unreviewed (keep)', () => {
    const parsed = Seed.parse(ws([{ name: 'quarterly-admins', everyDays: 90, roles: ['ADMIN'], dueDays: 14 }]));
    expect(parsed.workspaces[0]!.policy.accessReviews).toEqual([
      { name: 'quarterly-admins', everyDays: 90, roles: ['ADMIN'], statuses: ['ACTIVE', 'INVITED'], reviewers: [], dueDays: 14, unreviewed: 'keep' },
    ]);
  });

  it('names the path of what is wrong', () => {
    expect(issue([{ name: 'q', everyDays: 90, dueDays: 14, unreviewed: 'delete' }])).toBe('workspaces[0].policy.accessReviews[0].unreviewed: one of keep, archive, downgrade:VIEWER, downgrade:MEMBER');
    expect(issue([{ name: 'q', everyDays: 0, dueDays: 14 }])).toBe('workspaces[0].policy.accessReviews[0].everyDays: at least 1');
    expect(issue([{ name: 'q', everyDays: 7, dueDays: 14 }])).toBe('workspaces[0].policy.accessReviews[0].dueDays: dueDays must not be longer than everyDays');
    expect(issue([{ name: 'q', everyDays: 90, dueDays: 14, reviewers: ['security'] }])).toBe('workspaces[0].policy.accessReviews[0].reviewers[0]: a Slack user id (U…) or user group id (S…)');
    expect(issue([{ name: 'q', everyDays: 90, dueDays: 14, owner: 'x' }])).toMatch(/^workspaces\[0\]\.policy\.accessReviews\[0\]: unknown field owner/);
    expect(issue([{ name: 'q', everyDays: 90, dueDays: 14 }, { name: 'q', everyDays: 30, dueDays: 7 }])).toBe('workspaces[0].policy.accessReviews: each access review needs its own name');
  });
});
