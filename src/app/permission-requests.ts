import type { PermissionChange } from '../domain/permission.js';
import type { ChangeRequest, NewRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { RequestHandler } from './handlers.js';
import type { PermissionService } from './permissions.js';
import { LOCAL_ONLY, type ChangeTargets, type PermissionState } from './ports.js';
import { isPermissionStatus, isRole } from '../domain/permission.js';

/** Grants and their extensions go to GrantRequests (isGrantRequest), never here. */
type PermissionRequest = Exclude<Extract<NewRequest, { kind: `permission.${string}` }>, { kind: 'permission.extend' }>;

/** Permission requests: checked and carried out by the same PermissionService the API uses. */
export class PermissionRequests implements RequestHandler {
  constructor(
    private readonly permissions: PermissionService,
    /** Where changes are made, per workspace: the records, or a connected LeanIX. */
    private readonly targets: ChangeTargets = LOCAL_ONLY,
  ) {}

  /** Returns the role and status the approvers will see, kept on the request (`seen`). */
  async check(ws: Workspace, r: NewRequest): Promise<void | Record<string, string>> {
    const p = asPermissionRequest(r);
    if (p.kind === 'permission.invite') return this.permissions.checkInvite(ws.id, p.params.email);
    const { permission } = await this.permissions.check(ws.id, p.params.email, permissionChange(p));
    return { role: permission.role, status: permission.status };
  }

  async carryOut(r: ChangeRequest, ws: Workspace, mayChange: () => void): Promise<string> {
    const p = asPermissionRequest(r);
    const actor = { type: 'slack', id: r.requester } as const;
    const approvers = r.approvals.map((a) => a.by);
    if (p.kind === 'permission.invite') {
      const res = await this.permissions.invite({
        workspaceId: r.workspaceId, email: p.params.email, role: p.params.role, actor, requestId: r.id, approvers, mayChange,
      });
      return `${res.user.email} invited as ${res.made.role}.`;
    }
    const { permission } = await this.permissions.get(r.workspaceId, p.params.email);
    const target = this.targets.forWorkspace(ws);
    const res = await this.permissions.change({
      permissionId: permission.id, change: permissionChange(p), actor, requestId: r.id, approvers, mayChange,
      ...(target.kind === 'local' ? {} : {
        target: (current, user, change) => target.setPermission({
          workspace: ws, requestId: r.id, approvedAt: r.decidedAt, user, change, seen: seenOf(r.seen) ?? { role: current.role, status: current.status },
        }),
      }),
    });
    return `${res.user.email} is now ${res.made.role} and ${res.made.status}.`;
  }
}

/** The request's `seen`, when it holds a role and a status Keywarden knows. */
function seenOf(seen: Record<string, string> | null | undefined): PermissionState | null {
  const role = seen?.role ?? '';
  const status = seen?.status ?? '';
  return isRole(role) && isPermissionStatus(status) ? { role, status } : null;
}

function asPermissionRequest(r: NewRequest): PermissionRequest {
  if (!r.kind.startsWith('permission.')) throw new Error(`not a permission request: ${r.kind}`);
  return r as PermissionRequest;
}

function permissionChange(r: Exclude<PermissionRequest, { kind: 'permission.invite' }>): PermissionChange {
  switch (r.kind) {
    case 'permission.role':
      return { role: r.params.role };
    case 'permission.archive':
      return { status: 'ARCHIVED' };
    case 'permission.activate':
      return { status: 'ACTIVE' };
  }
}
