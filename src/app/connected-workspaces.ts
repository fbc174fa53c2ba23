/**
 * What a workspace connected to SAP LeanIX refuses at submit, before anyone is asked: changes
 * Keywarden cannot (yet) make in LeanIX itself would change only the mirror, and the next sync
 * would undo them, so they are not taken at all. With `rolesManagedBy: "idp"` roles come from
 * the identity provider and are changed there; status changes still go through.
 */
import { DomainError } from '../domain/errors.js';
import type { NewRequest } from '../domain/request.js';
import { isConnected, type Workspace } from '../domain/workspace.js';

export const CONNECTED_CODES = {
  ROLES_FROM_IDP: 'LEANIX.ROLES_FROM_IDP',
  NOT_IN_LEANIX: 'LEANIX.NOT_SUPPORTED',
} as const;

/** Kinds made in LeanIX over the MTM API (leanix/permission-target.ts), and those that change nothing LeanIX holds. */
const MADE_IN_LEANIX: ReadonlySet<string> = new Set([
  'permission.role', 'permission.archive', 'permission.activate',
  // Time-bound grants: started and ended in LeanIX, extensions checked against it (app/grant-targets.ts).
  'permission.extend', 'techuser.extend',
  'techuser.create', 'techuser.rotate', 'techuser.role', 'techuser.expiry', 'techuser.delete', 'techuser.owner',
  // description, customer roles, access control entities: apiTokenData.description, customerRoles, accessControlEntities (docs/leanix.md)
  'techuser.update',
]);

export function connectedRefusal(ws: Workspace, r: NewRequest): DomainError | null {
  if (!isConnected(ws)) return null;
  if (ws.leanix.rolesManagedBy === 'idp' && (r.kind === 'permission.role' || r.kind === 'permission.extend' || r.kind === 'permission.invite')) {
    return new DomainError(CONNECTED_CODES.ROLES_FROM_IDP, `Roles in ${ws.name} come from your identity provider (SSO/SCIM); change them there.`);
  }
  if (r.kind === 'permission.invite') {
    return new DomainError(CONNECTED_CODES.NOT_IN_LEANIX, `Invites to ${ws.name} are made in LeanIX (Invite, top right), not here: Keywarden cannot yet invite over LeanIX's API (docs/leanix.md says why).`);
  }
  if (!MADE_IN_LEANIX.has(r.kind)) {
    // A kind added later that nobody taught to make in LeanIX: refused rather than made in the mirror only.
    return new DomainError(CONNECTED_CODES.NOT_IN_LEANIX, `${ws.name} is connected to LeanIX, where Keywarden cannot make this change yet; make it in LeanIX.`);
  }
  return null;
}

