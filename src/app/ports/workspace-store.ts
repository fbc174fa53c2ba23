/** The records people and workspaces are made of: workspaces, users, permissions. */
import type { Permission, PermissionStatus } from '../../domain/permission.js';
import type { User } from '../../domain/user.js';
import type { Workspace } from '../../domain/workspace.js';
import type { GrantQueries } from './grant-store.js';

/**
 * Lookups see active workspaces only: a retired one (gone from the seed file) is unknown to
 * everything that would act for it. Its record stays, read with `findRecord` where a request of
 * it must still be told about.
 */
export interface WorkspaceRepository {
  /**
   * Insert or replace by id (an active workspace: a retired one comes back). A name already used
   * by another workspace, active or retired, is refused (unique).
   */
  upsert(ws: Workspace): Promise<void>;
  findById(id: string): Promise<Workspace | null>;
  findByName(name: string): Promise<Workspace | null>;
  list(): Promise<Workspace[]>;
  /** The record, active or retired. */
  findRecord(id: string): Promise<Workspace | null>;
  /** Retired workspaces, by name. */
  listRetired(): Promise<Workspace[]>;
  /** Retires an active workspace; returns it, or null when it was not active (already retired, or unknown). */
  retire(id: string, at: Date): Promise<Workspace | null>;
}

export interface UserRepository {
  /** Case-insensitive. */
  findByEmail(email: string): Promise<User | null>;
  findByIds(ids: string[]): Promise<User[]>;
  /** Inserts the user unless one with the same email (case-insensitive) exists; returns the stored one. */
  ensure(user: User): Promise<User>;
}

export type PermissionFields = Partial<
  Pick<Permission, 'role' | 'status' | 'lastChange' | 'applied' | 'grant' | 'customerRoles' | 'accessControlEntities' | 'lastLogin'>
>;

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

