/**
 * A time-bound grant's role where the workspace's truth is: nothing to do for Keywarden's own
 * records (the subject's compare-and-set is the change), and in a workspace connected to SAP
 * LeanIX the change port first (ports/change-target.ts), the same read, compare with what the
 * approvers saw, post only the role, read back, as a permanent role change. Each call may run
 * again (a retried job, a process that died between LeanIX's write and the mirror's): the target
 * finds its role already there and posts nothing.
 *
 *   start    the grant's role, from what the approvers saw (a grant's start)
 *   confirm  the grant's role still shown, nothing posted (an extension: only the end moves)
 *   revert   back to `revertTo` from the grant's role, unless it was changed there outside
 *            Keywarden: then nothing is posted and the role shown is returned (a grant's end)
 */
import { grantEndId } from '../domain/grant.js';
import { isRole, type Role } from '../domain/permission.js';
import type { Workspace } from '../domain/workspace.js';
import type { GrantSubject } from './grant-subjects.js';
import { ChangedOutsideError, type ChangeTarget, type ChangeTargets, type Store } from './ports.js';

interface RoleChange {
  requestId: string;
  /** When it was approved (an outage may hold it 30 minutes from then); null: no deadline. */
  approvedAt: Date | null;
  /** The role the approvers saw (or, at an end, the grant's role). */
  seen: Role;
  to: Role;
}

export class GrantTargets {
  constructor(private readonly deps: { store: Store; targets?: ChangeTargets }) {}

  /** Whether grants of this workspace are made somewhere other than the records. */
  elsewhere(ws: Workspace): boolean {
    return this.target(ws) !== null;
  }

  async start(ws: Workspace, s: GrantSubject, a: { requestId: string; approvedAt: Date | null; seen: Role; role: Role }): Promise<void> {
    await this.setRole(ws, s, { requestId: a.requestId, approvedAt: a.approvedAt, seen: a.seen, to: a.role });
  }

  /**
   * The target still shows the grant's role: asked for the role it should already show, it posts
   * nothing, and throws (ChangedOutsideError, LeanIX's words, drift recorded) when it shows another.
   */
  async confirm(ws: Workspace, s: GrantSubject, a: { requestId: string; approvedAt: Date | null; role: Role }): Promise<void> {
    await this.setRole(ws, s, { requestId: a.requestId, approvedAt: a.approvedAt, seen: a.role, to: a.role });
  }

  /**
   * The role back to `revertTo` in the target, before the record's compare-and-set. Returns the
   * role the target shows when it was changed there outside Keywarden (nothing was written over
   * it), else null. An end has no approval to count an outage from (`approvedAt: null`): the
   * target then never gives up, and says only that it cannot be reached yet (RetryLaterError).
   */
  async revert(s: GrantSubject, grantId: string, grantRole: Role, revertTo: Role): Promise<Role | null> {
    const ws = await this.deps.store.workspaces.findById(s.workspaceId);
    if (!ws) return null;
    try {
      await this.setRole(ws, s, { requestId: grantEndId(grantId), approvedAt: null, seen: grantRole, to: revertTo });
      return null;
    } catch (err) {
      const shown = err instanceof ChangedOutsideError ? err.shows.role : undefined;
      if (typeof shown === 'string' && isRole(shown)) return shown;
      throw err;
    }
  }

  private target(ws: Workspace): ChangeTarget | null {
    const t = this.deps.targets?.forWorkspace(ws);
    return t && t.kind !== 'local' ? t : null;
  }

  private async setRole(ws: Workspace, s: GrantSubject, c: RoleChange): Promise<void> {
    const target = this.target(ws);
    if (!target) return;
    const { store } = this.deps;
    if (s.type === 'technicalUser') {
      const technicalUser = await store.technicalUsers.findById(s.id);
      if (!technicalUser) return; // gone: the caller's compare-and-set finds it gone too
      await target.updateTechnicalUser({ workspace: ws, requestId: c.requestId, approvedAt: c.approvedAt, technicalUser, seen: { role: c.seen }, change: { role: c.to } });
      return;
    }
    const p = await store.permissions.findById(s.id);
    const [user] = p ? await store.users.findByIds([p.userId]) : [];
    if (!p || !user) return;
    await target.setPermission({ workspace: ws, requestId: c.requestId, approvedAt: c.approvedAt, user, seen: { role: c.seen, status: p.status }, change: { role: c.to } });
  }
}
