/**
 * What a person's App Home shows, per workspace of their Slack team where they have a part:
 * approvers see the pending requests they can decide; admins see their own recent requests; both
 * see the workspace's technical users, the nearest token expiry first. Read-only, bounded queries.
 */
import type { ChangeRequest } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import { isAdmin, isApprover } from '../domain/workspace.js';
import type { Clock, Store } from './ports.js';

/** How much of each list a Home tab shows (Slack allows 100 blocks per view). */
export const HOME_LIMITS = { pending: 10, mine: 10, technicalUsers: 15 } as const;

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
}

export class HomeService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

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
        const [pending, own, technicalUsers] = await Promise.all([
          approver ? store.requests.listByWorkspace(ws.id, { status: 'PENDING', limit: HOME_LIMITS.pending }) : [],
          admin ? store.requests.listByWorkspace(ws.id, { requester: userId, limit: HOME_LIMITS.mine }) : [],
          store.technicalUsers.listByExpiry(ws.id, HOME_LIMITS.technicalUsers),
        ]);
        return {
          workspace: ws, isAdmin: admin, isApprover: approver,
          // Past its TTL a request can no longer be decided; the next sweep marks it EXPIRED.
          pending: pending.filter((r) => r.expiresAt > now),
          mine: own,
          technicalUsers,
        };
      }),
    );
  }
}
