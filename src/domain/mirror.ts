/**
 * The mirror of a connected workspace: what of a LeanIX permission or technical user Keywarden
 * keeps, how a difference between LeanIX and the mirror is seen, and which differences raise
 * access (told at once) and which do not (told in the daily digest). Pure: no store, no HTTP.
 */
import type { HistorySubjectType } from './history.js';
import type { Permission, PermissionStatus, Role } from './permission.js';
import type { TechnicalUser } from './technical-user.js';

/** The fields of a permission the mirror follows. lastLogin is kept but is never drift. */
export interface PermissionState {
  role: Role;
  status: PermissionStatus;
  customerRoles: string[];
  accessControlEntities: string[];
}

export interface TechnicalUserState {
  role: Role;
  customerRoles: string[];
  accessControlEntities: string[];
}

export const permissionState = (p: Pick<Permission, keyof PermissionState>): PermissionState => ({
  role: p.role, status: p.status, customerRoles: [...p.customerRoles], accessControlEntities: [...p.accessControlEntities],
});

export const technicalUserState = (t: Pick<TechnicalUser, keyof TechnicalUserState>): TechnicalUserState => ({
  role: t.role, customerRoles: [...t.customerRoles], accessControlEntities: [...t.accessControlEntities],
});

/** Lists compare as sets: LeanIX may return them in any order. */
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

/** The fields (of either kind of state) whose values differ; empty when the two agree. */
export function changedFields<T extends object>(mirror: T, leanix: T): Array<keyof T> {
  return (Object.keys(leanix) as Array<keyof T>).filter((k) => {
    const a = mirror[k];
    const b = leanix[k];
    return Array.isArray(a) && Array.isArray(b) ? !sameList(a, b) : a !== b;
  });
}

const RANK: Record<Role, number> = { VIEWER: 0, MEMBER: 1, ADMIN: 2 };
export const roleRaised = (from: Role, to: Role): boolean => RANK[to] > RANK[from];

/** A drift's before or after: the state, or null when the subject did not exist (or no longer does). */
export type DriftSide<S> = S | null;

/**
 * Whether a difference made outside Keywarden gives someone more access than the mirror knew of:
 * a higher role on an active (or new) subject, ARCHIVED (or nothing) to ACTIVE, a new or raised
 * ADMIN technical user. Those are told at once; everything else waits for the daily digest.
 */
export function raisesAccess(kind: HistorySubjectType, was: Record<string, unknown> | null, now: Record<string, unknown> | null): boolean {
  if (kind !== 'permission' && kind !== 'technicalUser') return false; // not a subject LeanIX holds
  const before = none(was);
  const after = none(now);
  if (!after) return false; // gone: access taken away
  const toRole = after.role as Role | undefined;
  if (kind === 'technicalUser') {
    if (!before) return true; // a new technical user holds a working token
    return toRole !== undefined && before.role !== undefined && roleRaised(before.role as Role, toRole);
  }
  const fromStatus = (before?.status as PermissionStatus | undefined) ?? null;
  const toStatus = (after.status as PermissionStatus | undefined) ?? fromStatus;
  if (toStatus === 'ACTIVE' && fromStatus !== 'ACTIVE') return true;
  if (!before) return false; // a new INVITED or ARCHIVED permission gives no access yet
  if (toRole !== undefined && before.role !== undefined && roleRaised(before.role as Role, toRole)) return toStatus !== 'ARCHIVED';
  return false;
}

/** A short account of a drift for people: "MEMBER → ADMIN", "ARCHIVED → ACTIVE", "new, ADMIN". */
export function describeDrift(was: Record<string, unknown> | null, now: Record<string, unknown> | null): string {
  const before = none(was);
  const after = none(now);
  if (!before) return `new: ${Object.entries(after ?? {}).map(([k, v]) => `${k} ${show(v)}`).join(', ')}`;
  if (!after) return 'deleted in LeanIX';
  return Object.keys({ ...before, ...after }).map((k) => `${k} ${show(before[k])} → ${show(after[k])}`).join(', ');
}

const show = (v: unknown): string => (Array.isArray(v) ? (v.length ? `[${v.join(', ')}]` : '[]') : v === undefined || v === null || v === '' ? '—' : String(v));

/** A side of a drift line: a new subject's "before" and a deleted one's "after" are empty (or null). */
const none = (x: Record<string, unknown> | null): Record<string, unknown> | null => (x && Object.keys(x).length > 0 ? x : null);
