/**
 * Making an approved permission change in a connected LeanIX workspace, the one way:
 *
 * 1. read the user's permission from LeanIX as it is now;
 * 2. it already shows the request's target: nothing is posted (a re-run after a crash);
 * 3. it shows what the approvers saw: post the object as read with only the approved attributes
 *    changed (fields Keywarden does not know go back untouched), then read it back to confirm;
 * 4. anything else: not made. The request fails with what LeanIX shows, and the difference is
 *    recorded as drift (drift-record.ts).
 *
 * The mirror (Keywarden's record) is written afterwards by PermissionService with its usual
 * compare-and-set. LeanIX's refusals fail the request in LeanIX's words; an unauthorised
 * connection fails it with that reason; an outage is retried until 30 minutes after approval.
 */
import type { ChangeTarget, ChangeTargets, Clock, CreateTechnicalUser, DeleteTechnicalUser, MadeToken, SetPermission, Store, UpdateTechnicalUser } from '../app/ports.js';
import { ChangedOutsideError, LOCAL_RECORDS } from '../app/ports.js';
import { RetryLaterError } from '../app/retry-later.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import { applyPermissionChange, isPermissionStatus, isRole } from '../domain/permission.js';
import type { Workspace } from '../domain/workspace.js';
import type { Connected, LeanixConnections } from './connections.js';
import { differences, recordDrift } from './drift-record.js';
import { LeanixCodes, isLeanixError } from './errors.js';
import { createInLeanix, deleteInLeanix, replaceInLeanix, updateInLeanix } from './techuser-target.js';

export const LEANIX_APPLY_CODES = {
  CHANGED_OUTSIDE: 'LEANIX.CHANGED_OUTSIDE',
  REFUSED: 'LEANIX.REFUSED',
  UNAUTHORISED: 'LEANIX.UNAUTHORISED',
  OUTAGE_TOO_LONG: 'LEANIX.OUTAGE_TOO_LONG',
  NOT_FOUND: 'LEANIX.NOT_FOUND',
} as const;

export interface LeanixTargetOptions {
  /** How long after approval an outage may hold a change before the request fails (default 30 minutes). */
  outageLimitMs?: number;
  /** How long the job waits before trying an unreachable LeanIX again (default 30 s). */
  retryDelayMs?: number;
}

const MINUTE = 60_000;

/** Chooses LeanIX for connected workspaces and the records for the rest. */
export class LeanixTargets implements ChangeTargets {
  private readonly targets = new Map<string, LeanixPermissionTarget>();
  constructor(private readonly connections: LeanixConnections, private readonly deps: { store: Store; clock: Clock } & LeanixTargetOptions) {}

  forWorkspace(ws: Workspace): ChangeTarget {
    const conn = this.connections.get(ws.id);
    if (!conn) return LOCAL_RECORDS;
    let t = this.targets.get(ws.id);
    if (!t) this.targets.set(ws.id, (t = new LeanixPermissionTarget(conn, this.deps)));
    return t;
  }
}

export class LeanixPermissionTarget implements ChangeTarget {
  readonly kind = 'leanix' as const;
  private readonly outageLimitMs: number;
  private readonly retryDelayMs: number;

  constructor(private readonly conn: Connected, private readonly deps: { store: Store; clock: Clock } & LeanixTargetOptions) {
    this.outageLimitMs = deps.outageLimitMs ?? 30 * MINUTE;
    this.retryDelayMs = deps.retryDelayMs ?? 30_000;
  }

  async setPermission(a: SetPermission): Promise<void> {
    try {
      await this.make(a);
    } catch (err) {
      throw this.explain(err, a);
    }
  }

  async updateTechnicalUser(a: UpdateTechnicalUser): Promise<void> {
    try {
      await updateInLeanix(this.conn.client, this.deps, a);
    } catch (err) {
      throw this.explain(err, a);
    }
  }

  async createTechnicalUser(a: CreateTechnicalUser): Promise<MadeToken> {
    try {
      return await createInLeanix(this.conn.client, this.deps, a);
    } catch (err) {
      throw this.explain(err, a);
    }
  }

  async replaceToken(a: DeleteTechnicalUser): Promise<MadeToken> {
    try {
      return await replaceInLeanix(this.conn.client, a);
    } catch (err) {
      throw this.explain(err, a);
    }
  }

  async deleteTechnicalUser(a: DeleteTechnicalUser): Promise<void> {
    try {
      await deleteInLeanix(this.conn.client, a);
    } catch (err) {
      throw this.explain(err, a);
    }
  }

  private async make(a: SetPermission): Promise<void> {
    const { client } = this.conn;
    const email = a.user.email;
    const read = await client.getPermissionByEmail(email);
    if (!read) throw new DomainError(LEANIX_APPLY_CODES.NOT_FOUND, `LeanIX has no permission for ${email} in ${a.workspace.name}; nothing was changed.`);
    const target: Record<string, string> = { ...(a.change.role ? { role: a.change.role } : {}), ...(a.change.status ? { status: a.change.status } : {}) };
    const shows = { role: read.role, status: read.status };
    if (!differences(target, shows)) return; // already made: by an earlier run of this very request
    const expected = Object.fromEntries(Object.keys(target).map((k) => [k, a.seen[k as keyof typeof a.seen]]));
    const drift = differences(expected, shows);
    if (drift) {
      await recordDrift(this.deps.store.history, {
        workspaceId: a.workspace.id, subject: { type: 'permission', id: read.id, label: email },
        expected: drift.expected, found: drift.found, requestId: a.requestId, basis: a.requestId, at: this.deps.clock.now(),
      });
      throw new ChangedOutsideError(LEANIX_APPLY_CODES.CHANGED_OUTSIDE, `LeanIX shows ${words(drift.found)}, not ${words(drift.expected)} as when this was approved; ask again.`, drift.found);
    }
    // The rules of the MTM API against what LeanIX holds (INVITED -> ACTIVE is refused before it is sent).
    if (isRole(read.role) && isPermissionStatus(read.status)) applyPermissionChange({ role: read.role, status: read.status, grant: null }, a.change);
    await client.postPermission({ ...read, ...target });
    const back = await client.getPermissionByEmail(email);
    const missing = back ? differences(target, { role: back.role, status: back.status }) : target;
    // Posted but not shown: tried again (the next read finds it made, or says what LeanIX shows).
    if (missing) throw new Error(`LeanIX did not show ${words(target)} for ${email} after it was posted`);
  }

  /** What a failure means for the request: fail now (DomainError), retry later, or let the queue retry. */
  private explain(err: unknown, a: { approvedAt: Date | null }): unknown {
    if (isDomainError(err)) return err;
    if (!isLeanixError(err)) return err;
    switch (err.code) {
      case LeanixCodes.UNAUTHORISED:
        return new DomainError(LEANIX_APPLY_CODES.UNAUTHORISED, `Not changed in LeanIX: ${err.message}`);
      case LeanixCodes.REFUSED:
      case LeanixCodes.FORBIDDEN:
      case LeanixCodes.NOT_FOUND:
        return new DomainError(LEANIX_APPLY_CODES.REFUSED, err.leanixMessages.length
          ? `LeanIX refused the change: ${err.leanixMessages.join(' ')}`
          : `LeanIX refused the change (HTTP ${err.status ?? '?'}).`);
      case LeanixCodes.BAD_ANSWER:
        return new DomainError(LEANIX_APPLY_CODES.REFUSED, `Not changed: ${err.message}`);
      case LeanixCodes.UNAVAILABLE: {
        const since = a.approvedAt ?? this.deps.clock.now();
        const waited = this.deps.clock.now().getTime() - since.getTime();
        if (waited >= this.outageLimitMs) {
          return new DomainError(LEANIX_APPLY_CODES.OUTAGE_TOO_LONG, `LeanIX did not answer for ${Math.round(waited / MINUTE)} minutes after this was approved, so it was not changed there; ask again when LeanIX is back.`);
        }
        return new RetryLaterError(`LeanIX is not answering (${err.message}); trying again`, this.retryDelayMs);
      }
    }
  }
}

/** `role MEMBER and status ARCHIVED`, for a line a person reads; a lone role reads as just the role. */
export function words(fields: Record<string, unknown>): string {
  const keys = Object.keys(fields);
  if (keys.length === 1 && keys[0] === 'role') return String(fields.role);
  return keys.map((k) => `${k} ${String(fields[k])}`).join(' and ');
}
