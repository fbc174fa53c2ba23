import type { Collection } from 'mongodb';
import type { TechnicalUserRepository } from '../../app/ports.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import { DuplicateKeyError } from '../errors.js';
import type { Doc } from './documents.js';
import { amongWorkspaces, assertKey, casUpdate, COLLECTIONS, fromDoc, isDate, isKey, isVersion, setOf, toLimit } from './documents.js';
import { duplicateKeyIndex, ID_INDEX } from './duplicate-key.js';
import { INDEX } from './indexes.js';
import { insertIfAbsent } from './insert-if-absent.js';
import { mongoGrantQueries } from './grant-queries.js';

type TechnicalUserDoc = Doc<TechnicalUser>;
type TechnicalUserFields = Parameters<TechnicalUserRepository['update']>[2];

const UPDATABLE = [
  'description', 'role', 'customerRoles', 'accessControlEntities', 'token', 'lastRequestId', 'applied', 'grant',
] as const satisfies readonly (keyof TechnicalUserFields)[];

/** Duplicate keys that are not the port's "false": an id or a token hash already in use. */
function conflict(index: string | null): Error | null {
  if (index === ID_INDEX) return new DuplicateKeyError('technicalUsers', '_id');
  if (index === INDEX.tokenHash) return new DuplicateKeyError('technicalUsers', 'token.hash');
  return null;
}

export class MongoTechnicalUsers implements TechnicalUserRepository {
  constructor(private readonly col: Collection<TechnicalUserDoc>) {
    Object.assign(this, mongoGrantQueries<TechnicalUser>(col));
  }

  declare listGrantsDue: TechnicalUserRepository['listGrantsDue'];
  declare listGrants: TechnicalUserRepository['listGrants'];
  declare countGrants: TechnicalUserRepository['countGrants'];

  /** Insert-if-absent on (workspaceId, userName); an id or token hash in use is a DuplicateKeyError. */
  async insert(t: TechnicalUser): Promise<boolean> {
    assertKey(t.id, 'technicalUser.id');
    assertKey(t.workspaceId, 'technicalUser.workspaceId');
    assertKey(t.userName, 'technicalUser.userName');
    return insertIfAbsent(this.col, COLLECTIONS.technicalUsers, { workspaceId: t.workspaceId, userName: t.userName }, t, conflict);
  }

  async findById(id: string): Promise<TechnicalUser | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<TechnicalUser>(doc);
  }

  async findByName(workspaceId: string, userName: string): Promise<TechnicalUser | null> {
    if (!isKey(workspaceId) || !isKey(userName)) return null;
    const doc = await this.col.findOne({ workspaceId, userName });
    return doc && fromDoc<TechnicalUser>(doc);
  }

  async findByTokenHash(hash: string): Promise<TechnicalUser | null> {
    if (!isKey(hash)) return null;
    // The $type repeats the unique index's partialFilterExpression: MongoDB's planner only uses a
    // partial index for a query that states its filter, and it does not infer `$type: 'string'`
    // from an equality with a string. Without it, every token exchange would scan the collection.
    const doc = await this.col.findOne({ 'token.hash': { $eq: hash, $type: 'string' } });
    return doc && fromDoc<TechnicalUser>(doc);
  }

  async update(id: string, expectedVersion: number, fields: TechnicalUserFields): Promise<TechnicalUser | null> {
    if (!isKey(id) || !isVersion(expectedVersion)) return null;
    try {
      const doc = await this.col.findOneAndUpdate(
        { _id: id, version: expectedVersion },
        casUpdate(setOf(fields, UPDATABLE)),
        { returnDocument: 'after' },
      );
      return doc && fromDoc<TechnicalUser>(doc);
    } catch (err) {
      throw conflict(duplicateKeyIndex(err, COLLECTIONS.technicalUsers)) ?? err;
    }
  }

  async delete(id: string, expectedVersion: number): Promise<boolean> {
    if (!isKey(id) || !isVersion(expectedVersion)) return false;
    const res = await this.col.deleteOne({ _id: id, version: expectedVersion });
    return res.deletedCount === 1;
  }

  /** Oldest deadline first. `$lt` on a Date matches Dates only, so a null revealBy (revealed) never does. */
  listRevealOverdue(now: Date, limit: number): Promise<TechnicalUser[]> {
    return this.listDue('token.revealBy', { $lt: now }, now, limit);
  }

  listWarningsDue(now: Date, limit: number, workspaceIds?: readonly string[]): Promise<TechnicalUser[]> {
    return this.listDue('token.nextWarningAt', { $lte: now }, now, limit, workspaceIds);
  }

  /**
   * Unrevoked tokens whose `field` is due, earliest first, in the field's index order, so the
   * server reads only the due entries and stops at `limit`.
   */
  private async listDue(
    field: 'token.revealBy' | 'token.nextWarningAt', due: { $lt: Date } | { $lte: Date }, now: Date, limit: number, workspaceIds?: readonly string[],
  ) {
    const n = toLimit(limit);
    if (!isDate(now) || n <= 0) return [];
    const docs = await this.col
      .find({ [field]: due, 'token.revokedAt': null, ...amongWorkspaces(workspaceIds) })
      .sort({ [field]: 1 })
      .limit(n)
      .toArray();
    return docs.map((d) => fromDoc<TechnicalUser>(d));
  }

  /** Soonest expiry first, through the (workspaceId, token.expiresAt) index; `$type` leaves out users without a token. */
  async listByExpiry(workspaceId: string, limit: number): Promise<TechnicalUser[]> {
    const n = toLimit(limit);
    if (!isKey(workspaceId) || n <= 0) return [];
    const docs = await this.col
      .find({ workspaceId, 'token.expiresAt': { $type: 'date' } })
      .sort({ 'token.expiresAt': 1 })
      .limit(n)
      .toArray();
    return docs.map((d) => fromDoc<TechnicalUser>(d));
  }

  /** One count per bound, each a range on the token.expiresAt index. */
  async countTokensExpiringBefore(bounds: Date[]): Promise<number[]> {
    if (!bounds.every((b) => isDate(b))) return bounds.map(() => 0);
    return Promise.all(bounds.map((b) => this.col.countDocuments({ 'token.expiresAt': { $lt: b }, 'token.revokedAt': null })));
  }

  async list(workspaceId: string): Promise<TechnicalUser[]> {
    if (!isKey(workspaceId)) return [];
    const docs = await this.col.find({ workspaceId }).toArray();
    // Same order as the memory store (locale-aware), which MongoDB's byte order is not.
    return docs.map((d) => fromDoc<TechnicalUser>(d)).sort((a, b) => a.userName.localeCompare(b.userName));
  }
}
