/**
 * Finding 10 of the second review: the due records of a retired workspace (owner reviews, expiry
 * warnings, break-glass reviews) were listed first and skipped without their due time moving, so
 * a page full of them (200 for reviews and break-glass, 500 for warnings) held back every other
 * workspace's for good. More than a page of retired ones, and one live one of each, through the
 * real scans on the in-memory store.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { BreakGlassService } from '../../src/app/break-glass.js';
import { ExpiryService } from '../../src/app/expiry.js';
import type { GrantService } from '../../src/app/grants.js';
import { OwnershipReviewService } from '../../src/app/ownership-reviews.js';
import type { Policies } from '../../src/app/policies.js';
import type { ReviewNotifier, ReviewSubject } from '../../src/app/ports.js';
import { generateApiToken } from '../../src/domain/api-token.js';
import { newOwnership, reviewPolicy } from '../../src/domain/ownership-review.js';
import type { ChangeRequest } from '../../src/domain/request.js';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import type { Workspace } from '../../src/domain/workspace.js';
import { createLog } from '../../src/log.js';
import { ACTIVE, ADMIN, world, WS_ID, type World } from './fixtures.js';

const DAY = 86_400_000;
const RETIRED_ID = '0f6a3c1e-4b7d-4e2a-9c1b-5d8e7f6a5b4c';
let w: World;
let retired: Workspace;

beforeEach(async () => {
  w = await world();
  retired = { ...w.ws, id: RETIRED_ID, name: 'oldco', slack: { ...w.ws.slack, teamId: 'T9' } };
  await w.store.workspaces.upsert(retired);
  expect(await w.store.workspaces.retire(RETIRED_ID, w.clock.now())).not.toBeNull();
});

/** A technical user with a token whose expiry warning is due now. */
async function dueToken(workspaceId: string, userName: string): Promise<TechnicalUser> {
  const t = generateApiToken();
  const now = w.clock.now();
  const tu: TechnicalUser = {
    id: randomUUID(), workspaceId, userName, description: '', role: 'MEMBER', customerRoles: [], accessControlEntities: [],
    token: { hash: t.hash, lastFour: t.lastFour, createdAt: now, expiresAt: new Date(now.getTime() + 3 * DAY), revealBy: null, revokedAt: null, nextWarningAt: new Date(now.getTime() - 1000), lastWarnedDays: null },
    createdAt: now, version: 0, lastRequestId: null,
  };
  await w.store.technicalUsers.insert(tu);
  return tu;
}

/** An APPLIED break-glass change nobody reviewed, applied a month ago. */
async function unreviewedBreakGlass(workspaceId: string): Promise<ChangeRequest> {
  const at = new Date(w.clock.now().getTime() - 30 * DAY);
  const r = {
    id: randomUUID(), workspaceId, kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN', minutes: 60 }, requester: ADMIN,
    reason: 'incident 46: the database is down', status: 'APPLIED', approvals: [], decidedBy: null, decidedAt: at, createdAt: at,
    expiresAt: new Date(at.getTime() + DAY), slack: null, outcome: 'done', appliedAt: at, notifiedAt: at, version: 2,
    breakGlass: { reviewedBy: null, reviewedAt: null, verdict: null },
  } as ChangeRequest;
  await w.store.requests.insert(r);
  return r;
}

describe('a retired workspace with more due records than a scan reads', () => {
  it('does not hold back the expiry warnings of a live one', async () => {
    for (let i = 0; i < 501; i++) await dueToken(RETIRED_ID, `old-bot-${i}`);
    await dueToken(WS_ID, 'live-bot');
    const expiry = new ExpiryService({ store: w.store, notifier: w.notifier, clock: w.clock, log: createLog('silent') });
    expect(await expiry.scanTokens()).toBe(1);
    expect(w.notifier.warnings.map((x) => x.userName)).toEqual(['live-bot']);
  });

  it('does not hold back the owner reviews of a live one', async () => {
    const asked: string[] = [];
    const reviews: ReviewNotifier = {
      askOwner: async (_ws: Workspace, s: ReviewSubject) => void asked.push(s.technicalUser.userName),
      reviewOverdue: async () => {},
    };
    const policy = reviewPolicy(w.ws.policy);
    const longAgo = new Date(w.clock.now().getTime() - 400 * DAY);
    for (let i = 0; i < 201; i++) {
      const tu = await dueToken(RETIRED_ID, `old-owned-${i}`);
      await w.store.ownership.insertIfAbsent(newOwnership(tu, ADMIN, 'creator', longAgo, policy));
    }
    const live = await dueToken(WS_ID, 'live-owned');
    await w.store.ownership.insertIfAbsent(newOwnership(live, ADMIN, 'creator', longAgo, policy));
    const service = new OwnershipReviewService({ store: w.store, notifier: w.notifier, reviews, requests: w.requests, clock: w.clock, log: createLog('silent') });
    expect(await service.scan()).toBe(1);
    expect(asked).toEqual(['live-owned']);
  });

  it('does not hold back the break-glass reminders of a live one', async () => {
    for (let i = 0; i < 201; i++) await unreviewedBreakGlass(RETIRED_ID);
    const live = await unreviewedBreakGlass(WS_ID);
    const breakGlass = new BreakGlassService({
      store: w.store, clock: w.clock, log: createLog('silent'), notifier: w.notifier,
      grants: {} as GrantService, policies: {} as Policies, // a reminder needs neither
    });
    expect(await breakGlass.remindUnreviewed()).toBe(1);
    expect(w.notifier.breakGlass).toEqual([{ id: live.id, what: 'unreviewed', hours: 30 * 24 }]);
  });
});
