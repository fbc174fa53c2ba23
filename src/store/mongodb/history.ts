import type { Collection } from 'mongodb';
import type { HistoryRepository } from '../../app/ports.js';
import type { HistoryEntry, SubjectType } from '../../domain/history.js';
import type { Doc } from './documents.js';
import { assertKey, COLLECTIONS, fromDoc, isKey, toDoc, toLimit } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';

export class MongoHistory implements HistoryRepository {
  constructor(private readonly col: Collection<Doc<HistoryEntry>>) {}

  /** Insert-if-absent: an entry already there (a retried job writing it again) is left as it is. */
  async append(entry: HistoryEntry): Promise<void> {
    assertKey(entry.id, 'history entry id');
    const { _id, ...fields } = toDoc(entry);
    try {
      await this.col.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
    } catch (err) {
      // Two appends of the same entry raced; the other one wrote it, which is all we wanted
      // (_id_ is the collection's only unique index).
      if (duplicateKeyIndex(err, COLLECTIONS.history) !== null) return;
      throw err;
    }
  }

  async findById(id: string): Promise<HistoryEntry | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<HistoryEntry>(doc);
  }

  async listBySubject(type: SubjectType, id: string, limit: number): Promise<HistoryEntry[]> {
    const n = toLimit(limit);
    if (!isKey(type) || !isKey(id) || n <= 0) return [];
    const docs = await this.col
      .find({ 'subject.type': type, 'subject.id': id })
      .sort({ at: -1 })
      .limit(n)
      .toArray();
    return docs.map((d) => fromDoc<HistoryEntry>(d));
  }
}
