import type { Collection, Filter } from 'mongodb';
import type { PermissionFields, PermissionRepository } from '../../app/ports.js';
import type { Permission, PermissionStatus } from '../../domain/permission.js';
import { DuplicateKeyError } from '../errors.js';
import type { Doc } from './documents.js';
import { assertKey, casUpdate, COLLECTIONS, fromDoc, isKey, isVersion, setOf } from './documents.js';
import { ID_INDEX } from './duplicate-key.js';
import { insertIfAbsent } from './insert-if-absent.js';
import { mongoGrantQueries } from './grant-queries.js';

type PermissionDoc = Doc<Permission>;

/** What `update` may set: PermissionFields, and nothing a caller could sneak in beside it. */
const UPDATABLE = ['role', 'status', 'lastChange', 'applied', 'grant', 'customerRoles', 'accessControlEntities', 'lastLogin'] as const satisfies readonly (keyof PermissionFields)[];

export class MongoPermissions implements PermissionRepository {
  constructor(private readonly col: Collection<PermissionDoc>) {
    Object.assign(this, mongoGrantQueries<Permission>(col));
  }

  declare listGrantsDue: PermissionRepository['listGrantsDue'];
  declare listGrants: PermissionRepository['listGrants'];
  declare countGrants: PermissionRepository['countGrants'];

  async findById(id: string): Promise<Permission | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<Permission>(doc);
  }

  async find(workspaceId: string, userId: string): Promise<Permission | null> {
    if (!isKey(workspaceId) || !isKey(userId)) return null;
    const doc = await this.col.findOne({ workspaceId, userId });
    return doc && fromDoc<Permission>(doc);
  }

  /** Insert-if-absent on (workspaceId, userId); an id taken by another pair is a DuplicateKeyError. */
  async insert(p: Permission): Promise<boolean> {
    assertKey(p.id, 'permission.id');
    assertKey(p.workspaceId, 'permission.workspaceId');
    assertKey(p.userId, 'permission.userId');
    return insertIfAbsent(this.col, COLLECTIONS.permissions, { workspaceId: p.workspaceId, userId: p.userId }, p, (index) =>
      index === ID_INDEX ? new DuplicateKeyError('permissions', '_id') : null,
    );
  }

  async update(id: string, expectedVersion: number, fields: PermissionFields): Promise<Permission | null> {
    if (!isKey(id) || !isVersion(expectedVersion)) return null;
    const doc = await this.col.findOneAndUpdate(
      { _id: id, version: expectedVersion },
      casUpdate(setOf(fields, UPDATABLE)),
      { returnDocument: 'after' },
    );
    return doc && fromDoc<Permission>(doc);
  }

  async list(workspaceId: string, filter: { status?: PermissionStatus; userId?: string } = {}): Promise<Permission[]> {
    if (!isKey(workspaceId)) return [];
    const query: Filter<PermissionDoc> = { workspaceId };
    // As in the memory store, an empty value means "no filter on this".
    if (filter.status) {
      if (!isKey(filter.status)) return [];
      query.status = filter.status;
    }
    if (filter.userId) {
      if (!isKey(filter.userId)) return [];
      query.userId = filter.userId;
    }
    const docs = await this.col.find(query).toArray();
    return docs.map((d) => fromDoc<Permission>(d));
  }
}
