/**
 * What a person's App Home shows, per workspace of their Slack team where they have a part:
 * approvers see the pending requests they may decide (the request's rule names them); admins see
 * their own recent requests; both see the workspace's technical users, the nearest token expiry
 * first, and its active grants (approvers all of them, admins their own). Read-only, bounded queries.
 */
import type { ChangeRequest } from '../domain/request.js';
import type { OwnershipRecord } from '../domain/ownership-review.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import { isAdmin, isApprover } from '../domain/workspace.js';
import type { Clock, Store } from './ports.js';
import type { GrantView } from './grants.js';
import { GrantSubjects } from './grant-subjects.js';
import type { Policies } from './policies.js';

/** How much of each list a Home tab shows (Slack allows 100 blocks per view). */
export const HOME_LIMITS = { pending: 10, mine: 10, technicalUsers: 15, grants: 10 } as const;
/** How many of a workspace's grants are read to find an admin's own (the rest are said to exist). */
const GRANTS_READ = 100;

export interface HomeWorkspace {
  workspace: Workspace;
  isAdmin: boolean;
  isApprover: boolean;
  /** Approvers: pending requests they may decide (not their own), not yet past their TTL, newest first. */
  pending: ChangeRequest[];
  /** Admins: their own requests in any state, newest first. */
  mine: ChangeRequest[];
  /** True when more are waiting than `pending` holds (or than was read): the approvals channel has them all. */
  pendingMore?: boolean;
  /** Technical users with a token, the soonest expiry first. */
  technicalUsers: TechnicalUser[];
  /** True when the workspace has more technical users than `technicalUsers` holds. */
  technicalUsersMore?: boolean;
  /** Active grants, soonest end first: approvers all of the workspace's, admins their own. */
  grants: GrantView[];
  /** How many such grants there are in all, when more than `grants` holds (as far as was read). */
  grantsTotal: number;
  /** Their owners and reviews, by technical user id (absent: none known). */
  owners?: Map<string, OwnershipRecord>;
}

export class HomeService {
  private readonly subjects: GrantSubjects;

  constructor(private readonly deps: { store: Store; clock: Clock; policies: Policies }) {
    this.subjects = new GrantSubjects(deps.store);
  }

  /**
   * The workspaces of `teamId` in which `userId` is an admin or may decide something (an approver,
   * or named by a policy rule, directly or through a user group), with their lists.
   */
  async forUser(teamId: string, userId: string): Promise<HomeWorkspace[]> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const ours = (await store.workspaces.list()).filter((ws) => ws.slack.teamId === teamId);
    const parts = await Promise.all(ours.map(async (ws) => ({ ws, admin: isAdmin(ws, userId), approver: await this.mayDecideIn(ws, userId) })));
    return Promise.all(
      parts.filter((p) => p.admin || p.approver).map(async ({ ws, admin, approver }): Promise<HomeWorkspace> => {
        const [pending, own, technicalUsers, active, owners] = await Promise.all([
          approver ? this.decidable(ws, userId, now) : { items: [], more: false },
          admin ? store.requests.listByWorkspace(ws.id, { requester: userId, limit: HOME_LIMITS.mine }) : [],
          // One more than shown, to say whether there are more (a workspace may have thousands).
          store.technicalUsers.listByExpiry(ws.id, HOME_LIMITS.technicalUsers + 1),
          this.subjects.listActive(ws.id, approver ? HOME_LIMITS.grants + 1 : GRANTS_READ),
          store.ownership.listByWorkspace(ws.id),
        ]);
        const grants = active
          .filter((s) => approver || s.grant!.requester === userId)
          .map((s) => ({ subject: { type: s.type, id: s.id, label: s.label }, grant: s.grant! }));
        return {
          workspace: ws, isAdmin: admin, isApprover: approver,
          pending: pending.items,
          pendingMore: pending.more,
          mine: own,
          technicalUsers: technicalUsers.slice(0, HOME_LIMITS.technicalUsers),
          technicalUsersMore: technicalUsers.length > HOME_LIMITS.technicalUsers,
          grants: grants.slice(0, HOME_LIMITS.grants),
          grantsTotal: grants.length,
          owners: new Map(owners.map((o) => [o.id, o])),
        };
      }),
    );
  }

  /** An approver of the workspace, or someone any of its rules names (groups read now). */
  private async mayDecideIn(ws: Workspace, userId: string): Promise<boolean> {
    if (isApprover(ws, userId)) return true;
    const named = (ws.policy.rules ?? []).flatMap((r) => [...(r.approvers ?? []), ...(r.escalateTo ?? [])]);
    if (!named.length) return false;
    // A group Slack cannot read now shows nothing rather than a guess; the approvals channel still works.
    return (await this.deps.policies.people(named, ws).catch(() => new Set<string>())).has(userId);
  }

  /**
   * Pending requests `userId` may decide now: named by the request's rule, not their own, not past
   * their TTL; `more` when there are more than shown, or more pending than were read.
   */
  private async decidable(ws: Workspace, userId: string, now: Date): Promise<{ items: ChangeRequest[]; more: boolean }> {
    const read = HOME_LIMITS.pending * 3;
    const pending = await this.deps.store.requests.listByWorkspace(ws.id, { status: 'PENDING', limit: read });
    const mine: ChangeRequest[] = [];
    for (const r of pending) {
      // Past its TTL a request can no longer be decided; the next sweep marks it EXPIRED.
      // One that needs no approval (approveAt) is approved at once: nothing to decide.
      if (r.expiresAt <= now || r.requester === userId || r.approveAt) continue;
      const deciders = await this.deps.policies.deciders(ws, r, now).catch(() => null);
      if (deciders?.people.has(userId)) mine.push(r);
      if (mine.length > HOME_LIMITS.pending) break;
    }
    return { items: mine.slice(0, HOME_LIMITS.pending), more: mine.length > HOME_LIMITS.pending || pending.length === read };
  }
}
