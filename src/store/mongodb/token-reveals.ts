import type { Collection } from 'mongodb';
import type { TokenReveal, TokenRevealRepository } from '../../app/ports.js';
import type { Doc } from './documents.js';
import { assertKey, COLLECTIONS, fromDoc, isDate, isKey, toDoc } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';

/**
 * Sealed tokens waiting for their owner. The TTL index deletes a record after its expiresAt, but
 * only when its monitor next runs (about a minute, or later), so `claim` checks expiresAt itself:
 * no answer here depends on the deletion having happened, or not.
 */
export class MongoTokenReveals implements TokenRevealRepository {
  constructor(private readonly col: Collection<Doc<TokenReveal>>) {}

  async put(r: TokenReveal): Promise<TokenReveal> {
    assertKey(r.id, 'tokenReveal.id');
    const { _id, ...fields } = toDoc(r);
    try {
      const doc = await this.col.findOneAndUpdate(
        { _id },
        { $setOnInsert: fields },
        { upsert: true, returnDocument: 'after' },
      );
      if (doc) return fromDoc<TokenReveal>(doc);
    } catch (err) {
      // Two puts of one id raced and the other inserted first: its record is the answer.
      if (duplicateKeyIndex(err, COLLECTIONS.tokenReveals) === null) throw err;
      const stored = await this.col.findOne({ _id });
      if (stored) return fromDoc<TokenReveal>(stored);
      throw err;
    }
    throw new Error(`tokenReveals.put: upsert of ${r.id} returned no document`);
  }

  async findById(id: string): Promise<TokenReveal | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<TokenReveal>(doc);
  }

  async claim(id: string, recipient: string, now: Date): Promise<TokenReveal | null> {
    if (!isKey(id) || !isKey(recipient) || !isDate(now)) return null;
    const doc = await this.col.findOneAndUpdate(
      { _id: id, recipient, claimedAt: null, expiresAt: { $gt: now } },
      { $set: { claimedAt: now } },
      { returnDocument: 'after' },
    );
    return doc && fromDoc<TokenReveal>(doc);
  }

  async release(id: string): Promise<void> {
    if (!isKey(id)) return;
    await this.col.updateOne({ _id: id }, { $set: { claimedAt: null } });
  }

  async delete(id: string): Promise<void> {
    if (!isKey(id)) return;
    await this.col.deleteOne({ _id: id });
  }
}
