/**
 * What the buttons under a grant's DM need before they act: the grant as it is now (its request,
 * workspace and subject, in the clicker's Slack team), and how much longer it may be made. The
 * changes themselves are GrantService.endNow and an ordinary `*.extend` request.
 */
import { Codes, DomainError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import { maxGrantHours } from '../domain/grant.js';
import { breakGlassRoom } from '../domain/policy.js';
import type { SubjectType } from '../domain/history.js';
import type { ChangeRequest, NewRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { GrantService } from './grants.js';
import type { Store } from './ports.js';

export interface ActiveGrant {
  request: ChangeRequest;
  workspace: Workspace;
  type: SubjectType;
  /** The permission's email or the technical user's userName. */
  label: string;
  grant: Grant;
}

const noSuchGrant = () => new DomainError(Codes.GRANT_NOT_ACTIVE, 'There is no such grant.');

/** The request behind grant `grantId` and its workspace, in Slack team `teamId`. */
export async function grantRequest(deps: { store: Store }, grantId: string, teamId: string): Promise<{ request: ChangeRequest; workspace: Workspace }> {
  const request = await deps.store.requests.findById(grantId);
  const workspace = request && (await deps.store.workspaces.findById(request.workspaceId));
  if (!request || !workspace || workspace.slack.teamId !== teamId) throw noSuchGrant();
  return { request, workspace };
}

/** Grant `grantId` while it is active; GRANT_NOT_ACTIVE once it has ended (or never began). */
export async function activeGrant(deps: { store: Store; grants: GrantService }, grantId: string, teamId: string): Promise<ActiveGrant> {
  const { request, workspace } = await grantRequest(deps, grantId, teamId);
  const p = request.params;
  const label = 'email' in p ? p.email : 'userName' in p ? p.userName : null;
  if (!label || (request.kind !== 'permission.role' && request.kind !== 'techuser.role')) throw noSuchGrant();
  const type: SubjectType = request.kind === 'techuser.role' ? 'technicalUser' : 'permission';
  const s = await deps.grants.subjects.find(type, workspace.id, label);
  if (!s?.grant || s.grant.requestId !== grantId) throw new DomainError(Codes.GRANT_NOT_ACTIVE, 'This grant has already ended; ask for a new one.');
  return { request, workspace, type, label: s.label, grant: s.grant };
}

/**
 * How many whole minutes a grant may still be extended by: up to the workspace's maximum, counted
 * from now, and for a break-glass grant (`breakGlass`) up to maxBreakGlassHours from its start.
 */
export function extensionRoom(ws: Workspace, grant: Grant, now: Date, breakGlass = false): number {
  const room = Math.max(0, maxGrantHours(ws.policy) * 60 - Math.ceil((grant.until.getTime() - now.getTime()) / 60_000));
  return breakGlass ? Math.min(room, breakGlassRoom(ws.policy, grant)) : room;
}

/**
 * The approval request for `minutes` more of an active grant. It names the grant's role: an
 * extension is approved under its grant's rule (domain/policy.ts extensionRule).
 */
export function extensionRequest(g: ActiveGrant, minutes: number): NewRequest {
  const { requestId: grantId, role: grantRole } = g.grant;
  return g.type === 'permission'
    ? { kind: 'permission.extend', params: { email: g.label, grantId, minutes, grantRole } }
    : { kind: 'techuser.extend', params: { userName: g.label, grantId, minutes, grantRole } };
}
