/**
 * The mirror of a connected workspace: what of a LeanIX permission or technical user Keywarden
 * keeps, how a difference between LeanIX and the mirror is seen, and which differences raise
 * access (told at once) and which do not (told in the daily digest). Pure: no store, no HTTP.
 */
import type { HistorySubjectType } from './history.js';
import type { Permission, PermissionStatus, Role } from './permission.js';
import { firstWarningAt } from './expiry-warnings.js';
import { expiryDate, type StoredToken, type TechnicalUser } from './technical-user.js';

/** The fields of a permission the mirror follows. lastLogin is kept but is never drift. */
export interface PermissionState {
  role: Role;
  status: PermissionStatus;
  customerRoles: string[];
  accessControlEntities: string[];
}

/**
 * `description` is LeanIX's apiTokenData.description; `expires` the token's expiry as the date it
 * works through (YYYY-MM-DD, UTC; see technical-user.ts), null when the mirror does not know it.
 */
export interface TechnicalUserState {
  role: Role;
  description: string;
  customerRoles: string[];
  accessControlEntities: string[];
  expires: string | null;
}

export const permissionState = (p: Pick<Permission, keyof PermissionState>): PermissionState => ({
  role: p.role, status: p.status, customerRoles: [...p.customerRoles], accessControlEntities: [...p.accessControlEntities],
});

export const technicalUserState = (t: Pick<TechnicalUser, 'role' | 'description' | 'customerRoles' | 'accessControlEntities' | 'token'>): TechnicalUserState => ({
  role: t.role, description: t.description, customerRoles: [...t.customerRoles], accessControlEntities: [...t.accessControlEntities],
  expires: t.token ? expiryDate(t.token.expiresAt) : null,
});

/**
 * The mirror's token after LeanIX showed `expiresAt` for it: the same token (its hash, if
 * Keywarden holds it) with the new date, whose expiry warnings count again from that date; or,
 * for a technical user whose token Keywarden never saw, one known only by its expiry.
 */
export function tokenExpiringAt(token: StoredToken | null, expiresAt: Date, warningDays: number[], now: Date): StoredToken {
  const nextWarningAt = firstWarningAt(expiresAt, warningDays);
  if (token) return { ...token, expiresAt, nextWarningAt, lastWarnedDays: null };
  return { hash: null, lastFour: null, createdAt: now, expiresAt, revealBy: null, revokedAt: null, nextWarningAt, lastWarnedDays: null };
}

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
 * ADMIN technical user, a technical user's expired token working again (its expiry moved from
 * before `at` to after it). Those are told at once; everything else waits for the daily digest,
 * an expiry moved later on a token that still works too: it lengthens access that was approved
 * and is already there, and gives nobody a right they did not have (the warnings before the new
 * date still come); a token that had stopped working and works again is access given anew, like
 * ARCHIVED to ACTIVE.
 */
export function raisesAccess(kind: HistorySubjectType, was: Record<string, unknown> | null, now: Record<string, unknown> | null, at?: Date): boolean {
  if (kind !== 'permission' && kind !== 'technicalUser') return false; // not a subject LeanIX holds
  const before = none(was);
  const after = none(now);
  if (!after) return false; // gone: access taken away
  const toRole = after.role as Role | undefined;
  if (kind === 'technicalUser') {
    if (!before) return true; // a new technical user holds a working token
    if (at && revived(before.expires, after.expires, at)) return true;
    return toRole !== undefined && before.role !== undefined && roleRaised(before.role as Role, toRole);
  }
  const fromStatus = (before?.status as PermissionStatus | undefined) ?? null;
  const toStatus = (after.status as PermissionStatus | undefined) ?? fromStatus;
  if (toStatus === 'ACTIVE' && fromStatus !== 'ACTIVE') return true;
  if (!before) return false; // a new INVITED or ARCHIVED permission gives no access yet
  if (toRole !== undefined && before.role !== undefined && roleRaised(before.role as Role, toRole)) return toStatus !== 'ARCHIVED';
  return false;
}

/** An expiry date (YYYY-MM-DD, the last day the token works) before `at`'s day moved to `at`'s day or later. */
function revived(from: unknown, to: unknown, at: Date): boolean {
  const today = at.toISOString().slice(0, 10);
  return typeof from === 'string' && typeof to === 'string' && from < today && to >= today;
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
