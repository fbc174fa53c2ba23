/**
 * What a person's App Home shows, per workspace of their Slack team where they have a part:
 * approvers see the pending requests they can decide; admins see their own recent requests; both
 * see the workspace's technical users, the nearest token expiry first, and its active grants (approvers
 * all of them, admins their own). Read-only, bounded queries.
 */
import type { ChangeRequest } from '../domain/request.js';
import type { OwnershipRecord } from '../domain/ownership-review.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import { isAdmin, isApprover } from '../domain/workspace.js';
import type { Clock, Store } from './ports.js';
import type { GrantView } from './grants.js';
import { GrantSubjects } from './grant-subjects.js';

/** How much of each list a Home tab shows (Slack allows 100 blocks per view). */
export const HOME_LIMITS = { pending: 10, mine: 10, technicalUsers: 15, grants: 10 } as const;
/** How many of a workspace's grants are read to find an admin's own (the rest are said to exist). */
const GRANTS_READ = 100;

export interface HomeWorkspace {
  workspace: Workspace;
  isAdmin: boolean;
  isApprover: boolean;
  /** Approvers: pending requests not yet past their TTL, newest first. */
  pending: ChangeRequest[];
  /** Admins: their own requests in any state, newest first. */
  mine: ChangeRequest[];
  /** Technical users with a token, the soonest expiry first. */
  technicalUsers: TechnicalUser[];
  /** Active grants, soonest end first: approvers all of the workspace's, admins their own. */
  grants: GrantView[];
  /** How many such grants there are in all, when more than `grants` holds (as far as was read). */
  grantsTotal: number;
  /** Their owners and reviews, by technical user id (absent: none known). */
  owners?: Map<string, OwnershipRecord>;
}

export class HomeService {
  private readonly subjects: GrantSubjects;

  constructor(private readonly deps: { store: Store; clock: Clock }) {
    this.subjects = new GrantSubjects(deps.store);
  }

  /** The workspaces of `teamId` in which `userId` is an admin or an approver, with their lists. */
  async forUser(teamId: string, userId: string): Promise<HomeWorkspace[]> {
    const { store, clock } = this.deps;
    const mine = (await store.workspaces.list()).filter(
      (ws) => ws.slack.teamId === teamId && (isAdmin(ws, userId) || isApprover(ws, userId)),
    );
    const now = clock.now();
    return Promise.all(
      mine.map(async (ws): Promise<HomeWorkspace> => {
        const admin = isAdmin(ws, userId);
        const approver = isApprover(ws, userId);
        const [pending, own, technicalUsers, active, owners] = await Promise.all([
          approver ? store.requests.listByWorkspace(ws.id, { status: 'PENDING', limit: HOME_LIMITS.pending }) : [],
          admin ? store.requests.listByWorkspace(ws.id, { requester: userId, limit: HOME_LIMITS.mine }) : [],
          store.technicalUsers.listByExpiry(ws.id, HOME_LIMITS.technicalUsers),
          this.subjects.listActive(ws.id, approver ? HOME_LIMITS.grants + 1 : GRANTS_READ),
          store.ownership.listByWorkspace(ws.id),
        ]);
        const grants = active
          .filter((s) => approver || s.grant!.requester === userId)
          .map((s) => ({ subject: { type: s.type, id: s.id, label: s.label }, grant: s.grant! }));
        return {
          workspace: ws, isAdmin: admin, isApprover: approver,
          // Past its TTL a request can no longer be decided; the next sweep marks it EXPIRED.
          pending: pending.filter((r) => r.expiresAt > now),
          mine: own,
          technicalUsers,
          grants: grants.slice(0, HOME_LIMITS.grants),
          grantsTotal: grants.length,
          owners: new Map(owners.map((o) => [o.id, o])),
        };
      }),
    );
  }
}
