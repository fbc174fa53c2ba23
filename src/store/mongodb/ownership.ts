import type { Collection } from 'mongodb';
import type { OwnershipRepository } from '../../app/ports.js';
import type { OwnershipRecord, ReviewFields } from '../../domain/ownership-review.js';
import type { Doc } from './documents.js';
import { amongWorkspaces, assertKey, casUpdate, COLLECTIONS, fromDoc, isKey, isVersion, setOf, toDoc, toLimit } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';

/**
 * Every field a review step, Keep or transfer may set; `nextAt: null` is a value here, not "unset".
 * `applied` (the transfers made) is set with the new owner in the one findOneAndUpdate.
 */
const UPDATABLE = [
  'userName', 'owner', 'ownerSource', 'periodStart', 'stage', 'askedAt', 'escalatedAt', 'nextAt', 'lastReviewedAt', 'lastReviewedBy', 'deleteRequestId',
  'applied',
] as const satisfies readonly (keyof ReviewFields)[];

export class MongoOwnership implements OwnershipRepository {
  constructor(private readonly col: Collection<Doc<OwnershipRecord>>) {}

  async insertIfAbsent(r: OwnershipRecord): Promise<boolean> {
    assertKey(r.id, 'ownership id');
    const { _id, ...fields } = toDoc(r);
    try {
      const res = await this.col.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
      return res.upsertedCount === 1;
    } catch (err) {
      // Two inserts of the same record raced: the other one made it (_id_ is the only unique index).
      if (duplicateKeyIndex(err, COLLECTIONS.ownership) !== null) return false;
      throw err;
    }
  }

  async findById(id: string): Promise<OwnershipRecord | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<OwnershipRecord>(doc);
  }

  async update(id: string, expectedVersion: number, fields: ReviewFields): Promise<OwnershipRecord | null> {
    if (!isKey(id) || !isVersion(expectedVersion)) return null;
    const doc = await this.col.findOneAndUpdate({ _id: id, version: expectedVersion }, casUpdate(setOf(fields, UPDATABLE)), { returnDocument: 'after' });
    return doc && fromDoc<OwnershipRecord>(doc);
  }

  /** One conditional updateOne; `lastUsedAt: null` also matches a record that never had one. */
  async touchLastUsed(id: string, at: Date, olderThan: Date): Promise<void> {
    if (!isKey(id) || !(at instanceof Date) || !(olderThan instanceof Date)) return;
    await this.col.updateOne({ _id: id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: olderThan } }] }, { $set: { lastUsedAt: at } });
  }

  async delete(id: string): Promise<void> {
    if (!isKey(id)) return;
    await this.col.deleteOne({ _id: id });
  }

  /** Through the nextAt index; `$lte` on a Date matches Dates only, so `nextAt: null` never does. */
  async listDue(now: Date, limit: number, workspaceIds?: readonly string[]): Promise<OwnershipRecord[]> {
    const n = toLimit(limit);
    if (!(now instanceof Date) || n <= 0) return [];
    const docs = await this.col.find({ nextAt: { $lte: now }, ...amongWorkspaces(workspaceIds) }).sort({ nextAt: 1 }).limit(n).toArray();
    return docs.map((d) => fromDoc<OwnershipRecord>(d));
  }

  async listByWorkspace(workspaceId: string): Promise<OwnershipRecord[]> {
    if (!isKey(workspaceId)) return [];
    return (await this.col.find({ workspaceId }).toArray()).map((d) => fromDoc<OwnershipRecord>(d));
  }

  countUnreviewed(): Promise<number> {
    return this.col.countDocuments({ stage: { $in: ['escalated', 'delete-requested'] } });
  }
}
