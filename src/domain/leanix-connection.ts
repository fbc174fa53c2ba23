/**
 * A workspace connected to a real SAP LeanIX workspace (the seed's `leanix`): then LeanIX is the
 * truth, and Keywarden's records are its mirror. Only the *name* of the environment variable
 * holding the API token is kept; the token itself never reaches a record.
 */
export const ROLES_MANAGED_BY = ['keywarden', 'idp'] as const;
export type RolesManagedBy = (typeof ROLES_MANAGED_BY)[number];

export interface LeanixConnection {
  /** e.g. https://acme.leanix.net (http only for loopback addresses, in tests). */
  baseUrl: string;
  /** The LeanIX workspace's id (default: the Keywarden workspace's own id). */
  workspaceId: string;
  /** The environment variable that holds the ADMIN technical user's API token. */
  apiTokenEnv: string;
  /** How often the mirror is brought up to date, in seconds (30 to 86400). */
  syncSeconds: number;
  /** `idp`: roles come from the identity provider (SSO/SCIM); Keywarden changes only statuses. */
  rolesManagedBy: RolesManagedBy;
}

export const DEFAULT_SYNC_SECONDS = 300;

/** Loopback hosts, the only ones a connection may reach over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
