/**
 * What the sync needs of LeanIX: every permission and every technical user of one workspace, a
 * page at a time (the client pages with `page` and `size` up to 100 until `total` is reached).
 * Only the fields the mirror keeps are named; LeanIX sends more, which the sync ignores.
 */
export interface MtmUser {
  id: string;
  email: string;
  userName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
}

/** Role and status as LeanIX sent them: a value Keywarden does not know is skipped, never guessed at. */
export interface MtmPermission {
  id: string;
  user: MtmUser;
  workspaceId: string;
  role: string;
  status: string;
  lastLogin?: string | null;
  customerRoles?: unknown;
  accessControlEntities?: unknown;
}

/** As the MTM OpenAPI's TechnicalUserData names it (permissionRole, apiTokenData). */
export interface MtmTechnicalUser {
  id: string;
  userName: string;
  permissionRole: string;
  customerRoles?: unknown;
  accessControlEntities?: unknown;
  apiTokenData?: { expiry?: string | number | null; description?: string | null } | null;
}

export interface LeanixReader {
  permissions(): AsyncIterable<MtmPermission[]>;
  technicalUsers(): AsyncIterable<MtmTechnicalUser[]>;
}

/** customerRoles and accessControlEntities as LeanIX may send them (a list, one string, nothing), as a list of strings. */
export function labels(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter(Boolean);
  return [];
}

/**
 * apiTokenData.expiry (the OpenAPI's `Instant`, its form not shown) as a moment: an ISO date or
 * epoch milliseconds; null when absent or unreadable.
 */
export function expiryInstant(v: string | number | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}
