/**
 * The permission use cases shared by Slack, the queue workers and the HTTP API: one place where
 * the rules of the MTM permissions API are applied to stored records.
 */
import { randomUUID } from 'node:crypto';
import { Codes, DomainError } from '../domain/errors.js';
import type { Actor } from '../domain/history.js';
import type { Permission, PermissionChange, PermissionStatus, Role } from '../domain/permission.js';
import { applyPermissionChange } from '../domain/permission.js';
import type { AppliedChange } from '../domain/applied.js';
import { appliedChange, diff, remember } from '../domain/applied.js';
import type { User } from '../domain/user.js';
import type { Clock, Store } from './ports.js';
import { recordSupersededBy } from './grant-history.js';

export interface PermissionView {
  permission: Permission;
  user: User;
}

export interface ListFilter {
  email?: string;
  /** Free text matched against name, email, role and status (the MTM API's `q`). */
  query?: string;
  status?: PermissionStatus;
}

/** Thrown when a compare-and-set kept losing: the caller (a queue job) should retry later. */
export class ConcurrentChangeError extends Error {
  override name = 'ConcurrentChangeError';
}

export interface ChangeResult {
  permission: Permission;
  user: User;
  /** The role and status this change made (on a re-run, what the first run made, whatever came since). */
  made: { role: Role; status: PermissionStatus };
  /** True when this change id had already been applied (a retried job). */
  alreadyApplied: boolean;
}

const stateOf = (p: Pick<Permission, 'role' | 'status'>) => ({ role: p.role, status: p.status });

/** The part of `change` that differs from `p`. */
function differences(p: Pick<Permission, 'role' | 'status'>, change: PermissionChange): PermissionChange {
  return {
    ...(change.role !== undefined && change.role !== p.role ? { role: change.role } : {}),
    ...(change.status !== undefined && change.status !== p.status ? { status: change.status } : {}),
  };
}

export class PermissionService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async list(workspaceId: string, filter: ListFilter = {}): Promise<PermissionView[]> {
    let userId: string | undefined;
    if (filter.email) {
      const user = await this.store.users.findByEmail(filter.email);
      if (!user) return [];
      userId = user.id;
    }
    const perms = await this.store.permissions.list(workspaceId, { status: filter.status, userId });
    const users = new Map((await this.store.users.findByIds(perms.map((p) => p.userId))).map((u) => [u.id, u]));
    const q = filter.query?.trim().toLowerCase();
    return perms
      .flatMap((permission) => {
        const user = users.get(permission.userId);
        return user ? [{ permission, user }] : [];
      })
      .filter(({ permission: p, user: u }) =>
        !q || [u.email, u.userName, u.firstName, u.lastName, `${u.firstName} ${u.lastName}`, p.role, p.status]
          .some((f) => f.toLowerCase().includes(q)),
      )
      .sort((a, b) => a.user.email.localeCompare(b.user.email));
  }

  /** The user's permission in the workspace, or a DomainError saying which part is missing. */
  async get(workspaceId: string, email: string): Promise<PermissionView> {
    const user = await this.store.users.findByEmail(email);
    if (!user) throw new DomainError(Codes.USER_NOT_FOUND, `No user with email ${email} is known.`);
    const permission = await this.store.permissions.find(workspaceId, user.id);
    if (!permission) {
      throw new DomainError(Codes.PERMISSION_NOT_FOUND, `${email} has no permission in this workspace; invite them instead.`);
    }
    return { permission, user };
  }

  /** Checks a change against the current state without making it (before an approval is asked). */
  async check(workspaceId: string, email: string, change: PermissionChange): Promise<PermissionView> {
    const view = await this.get(workspaceId, email);
    applyPermissionChange(view.permission, change);
    return view;
  }

  async checkInvite(workspaceId: string, email: string): Promise<void> {
    const user = await this.store.users.findByEmail(email);
    if (user && (await this.store.permissions.find(workspaceId, user.id))) {
      throw new DomainError(Codes.PERMISSION_EXISTS, `${email} already has a permission in this workspace.`);
    }
  }

  /**
   * Applies a change to a permission. `requestId` makes it idempotent whatever happened since:
   * the permission remembers the requests that changed it (in the same compare-and-set as the
   * change), so a re-run recognises its change even after later ones, never makes it again, and
   * only (re)writes the history line it may have missed.
   */
  async change(args: {
    permissionId: string;
    change: PermissionChange;
    actor: Actor;
    /** The approved request this change carries out; API changes have none. */
    requestId?: string;
    approvers?: string[];
    /** Throws when the change may no longer be made (see RequestHandler.carryOut). */
    mayChange?: () => void;
    /**
     * Make only what differs from the permission as it is at the change (the API, whose body
     * always names both fields): a role equal to the current one is no role change, so it never
     * keeps a grant's role for good. Nothing different: PERMISSION_UNCHANGED.
     */
    onlyDifferences?: boolean;
    /**
     * Makes the change where the workspace's truth is before the record is written (a connected
     * LeanIX; ports/change-target.ts). Called only while the record does not show this request
     * made, possibly again on a re-run; the rules were checked by it against what it read.
     */
    target?: (current: Permission, user: User, change: PermissionChange) => Promise<void>;
  }): Promise<ChangeResult> {
    const changeId = args.requestId ?? randomUUID();
    const meta = { actor: args.actor, requestId: args.requestId ?? null, approvers: args.approvers ?? [] };
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.store.permissions.findById(args.permissionId);
      if (!current) throw new DomainError(Codes.PERMISSION_NOT_FOUND, 'That permission does not exist.');
      const [user] = await this.store.users.findByIds([current.userId]);
      if (!user) throw new DomainError(Codes.USER_NOT_FOUND, 'The permission belongs to an unknown user.');
      const made = args.requestId ? await this.madeBefore(current, args.requestId) : null;
      if (made) {
        await recordSupersededBy(this.store, { type: 'permission', id: current.id, label: user.email, workspaceId: current.workspaceId }, made, meta.actor);
        await this.record(current, user, made, meta);
        return { permission: current, user, made: { ...stateOf(current), ...made.after }, alreadyApplied: true };
      }
      args.mayChange?.();
      const before = stateOf(current);
      const change = args.onlyDifferences ? differences(current, args.change) : args.change;
      let next: { role: Role; status: PermissionStatus };
      if (args.target) {
        await args.target(current, user, change);
        // The truth now shows the change; the mirror follows it even where it already did (a sync came first).
        next = { role: change.role ?? current.role, status: change.status ?? current.status };
      } else next = applyPermissionChange(current, change);
      // A role set while a grant is active wins over the grant: it is closed, never reverted.
      const superseded = current.grant && change.role !== undefined ? current.grant : null;
      const entry: AppliedChange = { id: changeId, at: this.clock.now(), before, after: next, ...(superseded ? { superseded } : {}) };
      const updated = await this.store.permissions.update(current.id, current.version, {
        ...next,
        lastChange: { id: changeId, before },
        // API changes have no request that could run again, so nothing to remember them by.
        applied: args.requestId ? remember(current.applied, entry) : undefined,
        ...(superseded ? { grant: null } : {}),
      });
      if (!updated) continue; // someone else changed it meanwhile: re-read and re-check the rules
      await recordSupersededBy(this.store, { type: 'permission', id: updated.id, label: user.email, workspaceId: updated.workspaceId }, entry, meta.actor);
      await this.record(updated, user, entry, meta);
      return { permission: updated, user, made: next, alreadyApplied: false };
    }
    throw new ConcurrentChangeError(`permission ${args.permissionId} kept changing; try again`);
  }

  /**
   * The change a request already made to this permission, if it made one: remembered on the
   * permission, or (records older than that memory, or a change so old it was forgotten) in the
   * request's own history line.
   */
  private async madeBefore(p: Permission, requestId: string): Promise<AppliedChange | null> {
    const remembered = appliedChange(p.applied, requestId);
    if (remembered) return remembered;
    if (p.lastChange?.id === requestId) return { id: requestId, at: this.clock.now(), before: p.lastChange.before, after: stateOf(p) };
    const line = await this.store.history.findById(requestId);
    return line ? { id: requestId, at: line.at, before: line.before, after: line.after } : null;
  }

  /** Creates an INVITED permission (and the user, if new). Idempotent per request id. */
  async invite(args: {
    workspaceId: string;
    email: string;
    role: Role;
    actor: Actor;
    requestId: string;
    approvers?: string[];
    mayChange?: () => void;
  }): Promise<ChangeResult> {
    const known = await this.store.users.findByEmail(args.email);
    const existing = known && (await this.store.permissions.find(args.workspaceId, known.id));
    if (!(existing && (await this.madeBefore(existing, args.requestId)))) args.mayChange?.();
    const user = await this.store.users.ensure({
      id: randomUUID(), email: args.email, userName: args.email, firstName: '', lastName: '',
    });
    const invited = { role: args.role, status: 'INVITED' as const };
    const entry: AppliedChange = { id: args.requestId, at: this.clock.now(), before: null, after: invited };
    const fresh: Permission = {
      id: randomUUID(), userId: user.id, workspaceId: args.workspaceId, ...invited,
      customerRoles: [], accessControlEntities: [], lastLogin: null, version: 0,
      lastChange: { id: args.requestId, before: invited }, applied: [entry],
    };
    const inserted = await this.store.permissions.insert(fresh);
    const permission = inserted ? fresh : await this.store.permissions.find(args.workspaceId, user.id);
    if (!permission || (!inserted && !(await this.madeBefore(permission, args.requestId)))) {
      throw new DomainError(Codes.PERMISSION_EXISTS, `${args.email} already has a permission in this workspace.`);
    }
    await this.store.history.append({
      id: args.requestId, workspaceId: args.workspaceId,
      subject: { type: 'permission', id: permission.id, label: user.email },
      action: 'permission.invited', actor: args.actor, requestId: args.requestId, approvers: args.approvers ?? [],
      before: null, after: invited, at: entry.at,
    });
    return { permission, user, made: invited, alreadyApplied: !inserted };
  }

  private async record(p: Permission, user: User, change: AppliedChange, meta: { actor: Actor; requestId: string | null; approvers: string[] }) {
    await this.store.history.append({
      id: change.id,
      workspaceId: p.workspaceId,
      subject: { type: 'permission', id: p.id, label: user.email },
      action: 'permission.updated',
      ...meta,
      ...diff(change.before, change.after),
      at: change.at,
    });
  }

}
