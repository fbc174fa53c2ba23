/**
 * Time-bound grants: a role held for a while and taken back by itself. A grant lives on its
 * subject (a permission, a technical user) beside the role it gave, so giving it, ending it and
 * superseding it are each one compare-and-set of that record with the role change: the role and
 * the grant can never disagree. The grant's id is the id of the request that asked for it.
 */
import { Codes, DomainError } from './errors.js';
import type { Role } from './permission.js';
import type { WorkspacePolicy } from './workspace.js';
import { durationWords } from './durations.js';

export interface Grant {
  /** The request that granted it (its id names the grant everywhere: jobs, history, buttons). */
  requestId: string;
  /** Slack user id of whoever asked for it (may end it early, is told when it ends). */
  requester: string;
  role: Role;
  /** The role the subject goes back to when the grant ends. */
  revertTo: Role;
  grantedAt: Date;
  until: Date;
}

/** How a grant ended, as history and the requester's DM say it. */
export type GrantEnd =
  | { how: 'expired' }
  | { how: 'ended'; by: string }
  | { how: 'superseded'; by: string | null }
  /** Its subject was changed in LeanIX outside Keywarden: the grant ends there, the change made outside stays (nothing reverted). */
  | { how: 'outside'; to: Role };

export const DEFAULT_MAX_GRANT_HOURS = 168;
const MINUTE = 60_000;
const UNIT_MINUTES = { m: 1, h: 60, d: 24 * 60, w: 7 * 24 * 60 } as const;

export const DURATION_USAGE = 'a whole number and a unit m, h, d or w (e.g. 30m, 4h, 2d, 1w)';

/**
 * A duration as typed (`30m`, `4h`, `2d`, `1w`; case-insensitive), in minutes: at least one
 * minute. Anything else is refused with what would be right.
 */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([mhdw])$/i.exec(text.trim());
  const minutes = m ? Number(m[1]) * UNIT_MINUTES[m[2]!.toLowerCase() as keyof typeof UNIT_MINUTES] : 0;
  if (!m || minutes < 1) {
    throw new DomainError(Codes.GRANT_BAD_DURATION, `"${text.slice(0, 20)}" is not a duration: use ${DURATION_USAGE}, at least 1 minute.`);
  }
  return minutes;
}

/**
 * Minutes in the largest unit that divides them: 90 -> "90m", 240 -> "4h", 2880 -> "2d", 10080 -> "1w".
 * The form a command takes, for machines (select values); people read durationWords (durations.ts).
 */
export function formatDuration(minutes: number): string {
  for (const [unit, size] of [['w', 10080], ['d', 1440], ['h', 60]] as const) {
    if (minutes % size === 0) return `${minutes / size}${unit}`;
  }
  return `${minutes}m`;
}

export const maxGrantHours = (p: WorkspacePolicy): number => p.maxGrantHours ?? DEFAULT_MAX_GRANT_HOURS;
export const isTemporaryOnly = (p: WorkspacePolicy, role: Role): boolean => (p.temporaryOnlyRoles ?? []).includes(role);

/**
 * The workspace's rules for a role asked for: for how long (`minutes`, null = for good). A
 * duration over the maximum, or a permanent request for a temporary-only role, is refused before
 * anyone is asked, with the rule and the allowed range.
 */
export function checkGrantPolicy(p: WorkspacePolicy, workspace: string, role: Role, minutes: number | null): void {
  const max = maxGrantHours(p);
  if (minutes === null) {
    if (isTemporaryOnly(p, role)) {
      throw new DomainError(Codes.GRANT_TEMPORARY_ONLY, `In workspace ${workspace}, ${role} may only be granted for a time: add "for <duration>" (1 minute to ${durationWords(max * 60)}).`);
    }
    return;
  }
  if (minutes > max * 60) {
    throw new DomainError(Codes.GRANT_TOO_LONG, `In workspace ${workspace}, a role may be granted for at most ${durationWords(max * 60)} (${max} hours); ${durationWords(minutes)} is longer.`);
  }
}

/** When a grant given now for `minutes` ends. */
export const grantEnds = (now: Date, minutes: number): Date => new Date(now.getTime() + minutes * MINUTE);

/**
 * An extension by `minutes` of a grant ending at `until`: the new end, which must lie within the
 * workspace's maximum counted from now.
 */
export function extendedUntil(p: WorkspacePolicy, workspace: string, until: Date, minutes: number, now: Date): Date {
  const next = new Date(until.getTime() + minutes * MINUTE);
  const max = maxGrantHours(p);
  if (next.getTime() - now.getTime() > max * 3600_000) {
    throw new DomainError(Codes.GRANT_TOO_LONG, `In workspace ${workspace}, a grant may last at most ${durationWords(max * 60)} from now; extending by ${durationWords(minutes)} would go past that.`);
  }
  return next;
}

/** Ids of the changes a grant makes to its subject (see applied.ts): given, extended, ended. */
export const grantEndId = (grantId: string): string => `${grantId}:end`;
export const grantSupersededId = (grantId: string): string => `${grantId}:superseded`;
