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
import type { User } from '../../domain/user.js';
import type { Workspace } from '../../domain/workspace.js';

export interface PermissionState { role: Role; status: PermissionStatus }

/**
 * The target shows something other than what the change was decided on, so it was not made over
 * it: `shows` holds what the target shows of the fields concerned (e.g. `{ role: 'ADMIN' }`), for a
 * caller that must leave the change made outside as it is (a grant's end: leanix/sync.ts, grants.ts).
 */
export class ChangedOutsideError extends DomainError {
  constructor(code: string, message: string, readonly shows: Record<string, unknown>) {
    super(code, message);
  }
}

export interface SetPermission {
  workspace: Workspace;
  requestId: string;
  /** When the request was approved: how long an outage may hold it is counted from here. */
  approvedAt: Date | null;
  user: User;
  /** What the approvers saw when they decided (the request's `seen`, else the record as it is). */
  seen: PermissionState;
  change: PermissionChange;
}

export interface ChangeTarget {
  readonly kind: 'local' | 'leanix';
  setPermission(a: SetPermission): Promise<void>;
}

/** Chooses the target per workspace. */
export interface ChangeTargets {
  forWorkspace(ws: Workspace): ChangeTarget;
}

/** Today's records: the record's own compare-and-set is the change, so nothing is made elsewhere first. */
export const LOCAL_RECORDS: ChangeTarget = { kind: 'local', async setPermission() {} };
export const LOCAL_ONLY: ChangeTargets = { forWorkspace: () => LOCAL_RECORDS };
