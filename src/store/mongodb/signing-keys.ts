import type { Collection } from 'mongodb';
import type { SigningKeyRecord, SigningKeyRepository } from '../../app/ports.js';
import { DuplicateKeyError } from '../errors.js';
import type { Doc } from './documents.js';
import { assertKey, COLLECTIONS, fromDoc, isDate, isKey, toDoc } from './documents.js';
import { duplicateKeyIndex, ID_INDEX } from './duplicate-key.js';

/**
 * The keys that sign access tokens, private halves sealed. Generations are unique (index), which
 * is how processes that start together, or rotate together, end up agreeing on one key.
 */
export class MongoSigningKeys implements SigningKeyRepository {
  constructor(private readonly col: Collection<Doc<SigningKeyRecord>>) {}

  async list(): Promise<SigningKeyRecord[]> {
    const docs = await this.col.find({}).sort({ generation: -1 }).toArray();
    return docs.map((d) => fromDoc<SigningKeyRecord>(d));
  }

  /** Upsert on the generation, as MongoTechnicalUsers.insert does on (workspaceId, userName). */
  async insertIfAbsent(k: SigningKeyRecord): Promise<SigningKeyRecord> {
    assertKey(k.id, 'signingKey.id');
    if (!Number.isSafeInteger(k.generation)) throw new TypeError('signingKey.generation must be an integer');
    const { generation } = k;
    try {
      const doc = await this.col.findOneAndUpdate(
        { generation },
        { $setOnInsert: toDoc(k) },
        { upsert: true, returnDocument: 'after' },
      );
      if (doc) return fromDoc<SigningKeyRecord>(doc);
    } catch (err) {
      const index = duplicateKeyIndex(err, COLLECTIONS.signingKeys);
      if (index === null) throw err;
      // A concurrent insert of the same generation got there first (reported on _id_ when it
      // was the same key, on the generation when another): its key is the answer.
      const stored = await this.col.findOne({ generation });
      if (stored) return fromDoc<SigningKeyRecord>(stored);
      // The generation is free, so the kid belongs to another generation's key.
      if (index === ID_INDEX) throw new DuplicateKeyError('signingKeys', '_id');
      throw err;
    }
    throw new Error(`signingKeys.insertIfAbsent: upsert of generation ${generation} returned no document`);
  }

  async retire(id: string, at: Date): Promise<SigningKeyRecord | null> {
    if (!isKey(id) || !isDate(at)) return null;
    const doc = await this.col.findOneAndUpdate(
      { _id: id, $or: [{ retiresAt: null }, { retiresAt: { $gt: at } }] },
      { $set: { retiresAt: at } },
      { returnDocument: 'after' },
    );
    if (doc) return fromDoc<SigningKeyRecord>(doc);
    // Already retired at or before `at` (or unknown): the stored key as it is.
    const stored = await this.col.findOne({ _id: id });
    return stored && fromDoc<SigningKeyRecord>(stored);
  }
}
