/**
 * The permission use cases of the MTM-compatible API, for a caller holding an access token. The
 * rules are PermissionService's, the same Slack's approved requests go through; what is added here
 * is who may do what: the token's own workspace only, and changes for ADMIN technical users only.
 */
import { Codes, DomainError, isDomainError } from '../domain/errors.js';
import type { PermissionStatus, Role } from '../domain/permission.js';
import { isTemporaryOnly } from '../domain/grant.js';
import type { Workspace } from '../domain/workspace.js';
import { assertMayChange, assertMayRead, type Principal } from './access-tokens.js';
import type { ListFilter, PermissionService, PermissionView } from './permissions.js';
import type { Store } from './ports.js';

/** A permission with the workspace it belongs to, as the API shows it. */
export interface ApiPermission extends PermissionView {
  workspace: Pick<Workspace, 'id' | 'name'>;
}

/** What a caller may change of a permission: role and status. The ids say which one. */
export interface PermissionUpdate {
  id: string;
  workspaceId: string;
  role: Role;
  status: PermissionStatus;
}

export class PermissionApiService {
  constructor(private readonly deps: { store: Store; permissions: PermissionService }) {}

  async list(caller: Principal, workspaceId: string, filter: ListFilter): Promise<ApiPermission[]> {
    assertMayRead(caller, workspaceId);
    const workspace = await this.workspace(workspaceId);
    return (await this.deps.permissions.list(workspaceId, filter)).map((v) => ({ ...v, workspace }));
  }

  /**
   * Brings a permission's role and status to those given, through PermissionService (so the rules
   * hold and history names the technical user). Only what differs from the permission as it is
   * counts as asked for: the body always carries both fields, and a role sent back as it is is
   * not a role change (under a grant it would otherwise keep the granted role for good). A role
   * that does change follows Slack's rules: never for good where the workspace allows it only for
   * a time, and during a grant it wins over the grant (the grant is closed as superseded), as an
   * approved `/permission role` does. Sending the permission back unchanged is not an error: the
   * answer is the permission as it is (the request is idempotent).
   */
  async update(caller: Principal, u: PermissionUpdate): Promise<ApiPermission> {
    assertMayChange(caller);
    const { store, permissions } = this.deps;
    const current = await store.permissions.findById(u.id);
    if (!current) throw new DomainError(Codes.PERMISSION_NOT_FOUND, `There is no permission with id ${u.id}.`);
    assertMayRead(caller, current.workspaceId);
    if (u.workspaceId !== current.workspaceId) {
      throw new DomainError(Codes.PERMISSION_WORKSPACE_MISMATCH, `Permission ${u.id} belongs to workspace ${current.workspaceId}, not ${u.workspaceId}.`);
    }
    const ws = await this.workspaceRecord(current.workspaceId);
    const workspace = { id: ws.id, name: ws.name };
    if (current.role === u.role && current.status === u.status) return { ...(await this.view(u.id)), workspace };
    if (u.role !== current.role && isTemporaryOnly(ws.policy, u.role)) {
      throw new DomainError(Codes.GRANT_TEMPORARY_ONLY, `In workspace ${ws.name}, ${u.role} may only be granted for a time, which this API cannot do; ask for it in Slack: /permission role <email> ${u.role} for <duration>.`);
    }
    try {
      const { permission, user } = await permissions.change({
        permissionId: u.id,
        change: { role: u.role, status: u.status },
        // Compared again with the permission at the moment of the change, not as read above.
        onlyDifferences: true,
        actor: { type: 'technicalUser', id: caller.technicalUserId, name: caller.userName },
      });
      return { permission, user, workspace };
    } catch (err) {
      // Someone else made the same change in between: the permission already is as asked.
      if (isDomainError(err) && err.code === Codes.PERMISSION_UNCHANGED) return { ...(await this.view(u.id)), workspace };
      throw err;
    }
  }

  private async workspace(id: string): Promise<Pick<Workspace, 'id' | 'name'>> {
    const ws = await this.workspaceRecord(id);
    return { id: ws.id, name: ws.name };
  }

  private async workspaceRecord(id: string): Promise<Workspace> {
    const ws = await this.deps.store.workspaces.findById(id);
    if (!ws) throw new DomainError(Codes.WORKSPACE_NOT_FOUND, `There is no workspace with id ${id}.`);
    return ws;
  }

  private async view(permissionId: string): Promise<PermissionView> {
    const permission = await this.deps.store.permissions.findById(permissionId);
    if (!permission) throw new DomainError(Codes.PERMISSION_NOT_FOUND, `There is no permission with id ${permissionId}.`);
    const [user] = await this.deps.store.users.findByIds([permission.userId]);
    if (!user) throw new DomainError(Codes.USER_NOT_FOUND, 'The permission belongs to an unknown user.');
    return { permission, user };
  }
}
