/** The records people and workspaces are made of: workspaces, users, permissions. */
import type { Permission, PermissionStatus } from '../../domain/permission.js';
import type { User } from '../../domain/user.js';
import type { Workspace } from '../../domain/workspace.js';
import type { GrantQueries } from './grant-store.js';

export interface WorkspaceRepository {
  /** Insert or replace by id. A name already used by another workspace is refused (unique). */
  upsert(ws: Workspace): Promise<void>;
  findById(id: string): Promise<Workspace | null>;
  findByName(name: string): Promise<Workspace | null>;
  list(): Promise<Workspace[]>;
}

export interface UserRepository {
  /** Case-insensitive. */
  findByEmail(email: string): Promise<User | null>;
  findByIds(ids: string[]): Promise<User[]>;
  /** Inserts the user unless one with the same email (case-insensitive) exists; returns the stored one. */
  ensure(user: User): Promise<User>;
}

export type PermissionFields = Partial<Pick<Permission, 'role' | 'status' | 'lastChange' | 'applied' | 'grant'>>;

export interface PermissionRepository extends GrantQueries<Permission> {
  findById(id: string): Promise<Permission | null>;
  find(workspaceId: string, userId: string): Promise<Permission | null>;
  /** Returns false, changing nothing, when (userId, workspaceId) already has a permission. */
  insert(p: Permission): Promise<boolean>;
  /**
   * Compare-and-set: sets `fields` and bumps the version only while the stored version is still
   * `expectedVersion`. Returns the updated permission, or null when it lost a race (or is gone).
   */
  update(id: string, expectedVersion: number, fields: PermissionFields): Promise<Permission | null>;
  list(workspaceId: string, filter?: { status?: PermissionStatus; userId?: string }): Promise<Permission[]>;
}

