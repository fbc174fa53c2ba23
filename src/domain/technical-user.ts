import type { AppliedChange } from './applied.js';
import type { Grant } from './grant.js';
import { Codes, DomainError } from './errors.js';
import type { Role } from './permission.js';

/**
 * What is kept of an API token: never the token itself. In a workspace connected to LeanIX, a
 * technical user made there (or before Keywarden held its token) has a token Keywarden never saw:
 * its hash and last four are null, and only its expiry is known, from the mirror.
 */
export interface StoredToken {
  /** Hex SHA-256 of the whole token; tokens are looked up by it. Null: the token lives in LeanIX only. */
  hash: string | null;
  lastFour: string | null;
  createdAt: Date;
  expiresAt: Date;
  /** While the owner has not yet revealed the token: the moment it is revoked if they never do. */
  revealBy: Date | null;
  /** Set when the token was revoked (never revealed in time); a revoked token is refused. */
  revokedAt: Date | null;
  /** When the next expiry warning falls due (null: none left); see expiry-warnings.ts. */
  nextWarningAt: Date | null;
  /** The threshold (days before expiry) last announced for this token, if any. */
  lastWarnedDays: number | null;
}

export interface TechnicalUser {
  id: string;
  workspaceId: string;
  userName: string;
  description: string;
  role: Role;
  customerRoles: string[];
  accessControlEntities: string[];
  /** The current API token (rotation replaces it; deleting the technical user deletes it). */
  token: StoredToken | null;
  createdAt: Date;
  version: number;
  /** The request that made the last change, so a retried job can tell it already ran. */
  lastRequestId: string | null;
  /** The requests that changed it, newest last (see applied.ts); absent on records older than it. */
  applied?: AppliedChange[];
  /** The time-bound grant of a role it is under, if any (domain/grant.ts). */
  grant?: Grant | null;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const MAX_YEARS = 5;
const DAY = 86_400_000;

export function checkUserName(name: string): void {
  if (!USERNAME.test(name)) {
    throw new DomainError(
      Codes.TECHUSER_BAD_NAME,
      `"${name.slice(0, 70)}" is not a valid username: 3-64 characters, letters, digits, dot, dash or underscore, starting with a letter or digit.`,
    );
  }
}

/** Customer roles and access control entity names: short plain labels. */
export function checkLabels(kind: string, labels: string[]): void {
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) throw new DomainError(Codes.TECHUSER_BAD_LABEL, `"${bad.slice(0, 70)}" is not a valid ${kind} name.`);
  if (labels.length > 20) throw new DomainError(Codes.TECHUSER_BAD_LABEL, `At most 20 ${kind}s.`);
}

/**
 * An expiry date `YYYY-MM-DD` (UTC) means the token works through the end of that day. It must be a
 * real calendar date, after today, and within five years (a guard against typos like 2226).
 */
export function expiryFromDate(date: string, now: Date): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !day || day.toISOString().slice(0, 10) !== date) {
    throw new DomainError(Codes.TECHUSER_BAD_EXPIRY, `"${date.slice(0, 20)}" is not a date; use YYYY-MM-DD, e.g. 2027-03-31.`);
  }
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (day.getTime() <= today) throw new DomainError(Codes.TECHUSER_BAD_EXPIRY, `The expiry date ${date} is not in the future.`);
  if (day.getTime() > today + MAX_YEARS * 366 * DAY) {
    throw new DomainError(Codes.TECHUSER_BAD_EXPIRY, `The expiry date ${date} is more than ${MAX_YEARS} years away.`);
  }
  return new Date(day.getTime() + DAY);
}

/** The date an admin typed, back from the stored instant (end of that UTC day). */
export const expiryDate = (expiresAt: Date): string => new Date(expiresAt.getTime() - 1).toISOString().slice(0, 10);

/** How a token is named to people: by its last four, or as LeanIX's when Keywarden never saw it. */
export const tokenName = (t: StoredToken): string => (t.lastFour ? `token …${t.lastFour}` : 'token (held in LeanIX)');

/** A token works while it exists, is not revoked and has not expired. */
export const tokenIsUsable = (t: TechnicalUser, now: Date): boolean =>
  t.token !== null && t.token.revokedAt === null && t.token.expiresAt.getTime() > now.getTime();
