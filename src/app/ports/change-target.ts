/**
 * Where an approved change is made. A workspace's records are the truth unless it is connected to
 * SAP LeanIX; then LeanIX is, and the records are its mirror. Either way the apply path is one:
 * the use case checks its idempotency (the record remembers the requests that changed it), asks
 * the target to make the change, then writes the record with the same compare-and-set as ever.
 *
 * A target's `setPermission` may run more than once for one request (a retried job, a process that
 * died between the target's write and the record's): it reads first and makes nothing twice. It
 * throws a DomainError when the change must not be made (the request fails with its message), a
 * RetryLaterError when the target cannot be reached yet, and anything else for the queue to retry.
 */
import { DomainError } from '../../domain/errors.js';
import type { PermissionChange, PermissionStatus, Role } from '../../domain/permission.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { User } from '../../domain/user.js';
import type { Workspace } from '../../domain/workspace.js';

export interface PermissionState { role: Role; status: PermissionStatus }

/**
 * The target shows something other than what the change was decided on, so it was not made over
 * it: `shows` holds what the target shows of the fields concerned (e.g. `{ role: 'ADMIN' }`), for a
 * caller that must leave the change made outside as it is (a grant's end: app/grant-targets.ts).
 */
export class ChangedOutsideError extends DomainError {
  constructor(code: string, message: string, readonly shows: Record<string, unknown>) {
    super(code, message);
  }
}

export interface SetPermission {
  workspace: Workspace;
  requestId: string;
  /**
   * When the request was approved: how long an outage may hold it is counted from here. Null: no
   * deadline, the target only says it cannot be reached yet (a grant's end, app/grant-end-held.ts).
   */
  approvedAt: Date | null;
  user: User;
  /** What the approvers saw when they decided (the request's `seen`, else the record as it is). */
  seen: PermissionState;
  change: PermissionChange;
}

/**
 * What `/techuser update` changes, each only when asked for. In LeanIX: `apiTokenData.description`,
 * `customerRoles` and `accessControlEntities` of TechnicalUserData.
 */
export interface TechnicalUserDetails {
  description?: string;
  customerRoles?: string[];
  accessControlEntities?: string[];
}

/** A change to an existing technical user that makes no token: its role, its token's expiry date (same token), or its details. */
export interface UpdateTechnicalUser {
  workspace: Workspace;
  requestId: string;
  approvedAt: Date | null;
  /** The record as it is (in a connected workspace its id is LeanIX's). */
  technicalUser: TechnicalUser;
  /**
   * What the approvers saw: `role`, and `expires` (YYYY-MM-DD) when the token has a date; for
   * details, `description` and the lists as their labels joined with commas (labels hold none).
   */
  seen: Record<string, string>;
  change: { role: Role } | { expires: string } | { details: TechnicalUserDetails };
}

export interface DeleteTechnicalUser {
  workspace: Workspace;
  requestId: string;
  approvedAt: Date | null;
  technicalUser: TechnicalUser;
}

export interface CreateTechnicalUser {
  workspace: Workspace;
  requestId: string;
  approvedAt: Date | null;
  userName: string;
  role: Role;
  /** YYYY-MM-DD: the token works through the end of that UTC day. */
  expires: string;
  description: string;
  customerRoles: string[];
  accessControlEntities: string[];
  /**
   * Whether an earlier run of this request may have sent its create: its mark was set (below)
   * before that run sent it. Only then is a technical user found there by this name taken for
   * this request's own; otherwise someone else made it meanwhile, and the request fails.
   */
  sentBefore: boolean;
  /** Sets that mark, durably (a compare-and-set on the request), before the create is sent. */
  markSent(): Promise<void>;
}

/** A technical user made, or its token replaced, elsewhere: its id there and the one new token (plaintext, in memory only). */
export interface MadeToken { id: string; token: string }

export interface ChangeTarget {
  readonly kind: 'local' | 'leanix';
  /**
   * Null for the records (Keywarden makes the token itself). Elsewhere: one working token whatever
   * happened before; a technical user already there by this name after this request sent its
   * create (`sentBefore`: the answer was lost) gets its token replaced, so a token nobody saw never
   * works; one there without (someone else made it) fails the request.
   */
  createTechnicalUser(a: CreateTechnicalUser): Promise<MadeToken | null>;
  /** Null for the records; elsewhere the new token (the old one stops working). */
  replaceToken(a: DeleteTechnicalUser): Promise<MadeToken | null>;
  setPermission(a: SetPermission): Promise<void>;
  updateTechnicalUser(a: UpdateTechnicalUser): Promise<void>;
  /** Gone already is done. */
  deleteTechnicalUser(a: DeleteTechnicalUser): Promise<void>;
}

/** Chooses the target per workspace. */
export interface ChangeTargets {
  forWorkspace(ws: Workspace): ChangeTarget;
}

/** Today's records: the record's own compare-and-set is the change, so nothing is made elsewhere first. */
export const LOCAL_RECORDS: ChangeTarget = {
  kind: 'local',
  async setPermission() {},
  async updateTechnicalUser() {},
  async deleteTechnicalUser() {},
  async createTechnicalUser() { return null; },
  async replaceToken() { return null; },
};
export const LOCAL_ONLY: ChangeTargets = { forWorkspace: () => LOCAL_RECORDS };
