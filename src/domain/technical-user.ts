import type { Role } from './permission.js';

/** What is kept of an API token: never the token itself. */
export interface StoredToken {
  /** Hex SHA-256 of the whole token. */
  hash: string;
  lastFour: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface TechnicalUser {
  id: string;
  workspaceId: string;
  userName: string;
  description: string;
  role: Role;
  customerRoles: string[];
  accessControlEntities: string[];
  token: StoredToken | null;
  createdAt: Date;
  version: number;
  lastRequestId: string | null;
}
