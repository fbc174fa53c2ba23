/** The seed of the access-review tests: meshlab with one campaign over MEMBER and ADMIN permissions. */
import { APPROVER1, APPROVER2, testSeed } from './keywarden.js';

export const REVIEW = 'quarterly-members';

export function reviewSeed(extra: object = {}) {
  const seed = testSeed();
  const ws = seed.workspaces[0]!;
  (ws.policy as object) = {
    requiredApprovals: 1, requestTtlHours: 72,
    accessReviews: [{ name: REVIEW, everyDays: 90, roles: ['MEMBER', 'ADMIN'], reviewers: [APPROVER1, APPROVER2], dueDays: 14, ...extra }],
  };
  return seed;
}
