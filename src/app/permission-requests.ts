import type { PermissionChange } from '../domain/permission.js';
import type { ChangeRequest, NewRequest } from '../domain/request.js';
import { requesterActor } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { RequestHandler } from './handlers.js';
import type { PermissionService } from './permissions.js';

/** Grants and their extensions go to GrantRequests (isGrantRequest), never here. */
type PermissionRequest = Exclude<Extract<NewRequest, { kind: `permission.${string}` }>, { kind: 'permission.extend' }>;

/** Permission requests: checked and carried out by the same PermissionService the API uses. */
export class PermissionRequests implements RequestHandler {
  constructor(private readonly permissions: PermissionService) {}

  async check(ws: Workspace, r: NewRequest): Promise<void> {
    const p = asPermissionRequest(r);
    if (p.kind === 'permission.invite') return this.permissions.checkInvite(ws.id, p.params.email);
    await this.permissions.check(ws.id, p.params.email, permissionChange(p));
  }

  async carryOut(r: ChangeRequest, _ws: Workspace, mayChange: () => void): Promise<string> {
    const p = asPermissionRequest(r);
    const actor = requesterActor(r);
    const approvers = r.approvals.map((a) => a.by);
    if (p.kind === 'permission.invite') {
      const res = await this.permissions.invite({
        workspaceId: r.workspaceId, email: p.params.email, role: p.params.role, actor, requestId: r.id, approvers, mayChange,
      });
      return `${res.user.email} invited as ${res.made.role}.`;
    }
    const { permission } = await this.permissions.get(r.workspaceId, p.params.email);
    const res = await this.permissions.change({
      permissionId: permission.id, change: permissionChange(p), actor, requestId: r.id, approvers, mayChange,
    });
    return `${res.user.email} is now ${res.made.role} and ${res.made.status}.`;
  }
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
