import type { AppliedChange } from './applied.js';
import type { Grant } from './grant.js';
import { Codes, DomainError } from './errors.js';

export const ROLES = ['VIEWER', 'MEMBER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];
export const PERMISSION_STATUSES = ['INVITED', 'ACTIVE', 'ARCHIVED'] as const;
export type PermissionStatus = (typeof PERMISSION_STATUSES)[number];

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);
export const isPermissionStatus = (s: string): s is PermissionStatus =>
  (PERMISSION_STATUSES as readonly string[]).includes(s);

/** One per (userId, workspaceId). Never deleted: leaving a workspace means ARCHIVED. */
export interface Permission {
  id: string;
  userId: string;
  workspaceId: string;
  role: Role;
  status: PermissionStatus;
  customerRoles: string[];
  accessControlEntities: string[];
  lastLogin: Date | null;
  /** Bumped by every change; the store updates only when it still matches (compare-and-set). */
  version: number;
  /**
   * The last change made, with what it replaced: a retried job sees its own id here and knows the
   * change is done, and can still write the history line it may have missed.
   */
  lastChange: { id: string; before: { role: Role; status: PermissionStatus } } | null;
  /** The requests that changed it, newest last (see applied.ts); absent on records older than it. */
  applied?: AppliedChange[];
  /** The time-bound grant it is under, if any (domain/grant.ts). */
  grant?: Grant | null;
}

/** What a change may touch. Anything else on the permission is not ours to change. */
export interface PermissionChange {
  role?: Role;
  status?: PermissionStatus;
}

/**
 * The rules of the MTM permissions API: role may change to any role; ARCHIVED from anywhere
 * (users are archived, never removed); ACTIVE only from ARCHIVED (INVITED -> ACTIVE is refused,
 * the user has to accept the invitation). A change that changes nothing is refused, so an admin
 * is not asked to approve a no-op.
 */
export function applyPermissionChange(p: Pick<Permission, 'role' | 'status' | 'grant'>, change: PermissionChange) {
  const next = { role: change.role ?? p.role, status: change.status ?? p.status };
  if (change.status && change.status !== p.status) {
    if (change.status === 'ACTIVE' && p.status === 'INVITED') {
      throw new DomainError(
        Codes.INVITED_TO_ACTIVE,
        'An invited user cannot be made ACTIVE; they become active by accepting the invitation.',
      );
    }
    if (change.status === 'INVITED') {
      throw new DomainError(Codes.ACTIVE_ONLY_FROM_ARCHIVED, 'A permission cannot go back to INVITED.');
    }
  }
  // Under a time-bound grant, asking for the role it gave is asking to keep it for good.
  const keepsGrantedRole = !!p.grant && change.role !== undefined;
  if (next.role === p.role && next.status === p.status && !keepsGrantedRole) {
    throw new DomainError(
      Codes.PERMISSION_UNCHANGED,
      `Nothing to change: the permission is already ${p.role} and ${p.status}.`,
    );
  }
  return next;
}
