import { setTimeout as sleep } from 'node:timers/promises';
import type { Collection, Filter } from 'mongodb';
import type { HistoryQuery, HistoryRepository } from '../../app/ports.js';
import type { HistoryEntry, HistorySubjectType } from '../../domain/history.js';
import { chainAfter, type ChainedEntry, type ChainHead } from '../../domain/history-chain.js';
import type { Doc } from './documents.js';
import { assertKey, COLLECTIONS, fromDoc, isKey, toDoc, toLimit } from './documents.js';
import { duplicateKeyIndex, ID_INDEX } from './duplicate-key.js';
import { INDEX } from './indexes.js';

/**
 * How often one append may lose the race for the next seq before it gives up. Each loss means
 * another line was appended, so this bounds waiting behind a burst, not a livelock; past the first
 * few losses it backs off a little, at random, so a crowd of appenders spreads out.
 */
const MAX_ATTEMPTS = 500;
const BACKOFF_AFTER = 3;
/** The partial filter of the chain index, repeated in every query meant to use that index. */
const CHAINED = { $gte: 1 } as const;

export class MongoHistory implements HistoryRepository {
  constructor(private readonly col: Collection<Doc<HistoryEntry>>) {}

  /**
   * Insert-if-absent by id, chained: the line is inserted with the next seq of its workspace and
   * the hash of the current last line. The unique (workspaceId, seq) index makes the insert the
   * compare-and-set: if another append took that seq first, the insert fails and the line is
   * chained again after the new head. An insert refused on `_id` means the entry is already there
   * (a retried job writing it again), which is all we wanted. A server that does not say which
   * index refused is answered by re-reading the id: there means done, absent means the seq was taken.
   */
  async append(entry: HistoryEntry): Promise<void> {
    assertKey(entry.id, 'history entry id');
    assertKey(entry.workspaceId, 'history entry workspaceId');
    for (let attempt = 1; ; attempt++) {
      const line = chainAfter(entry, await this.head(entry.workspaceId));
      try {
        await this.col.insertOne(toDoc(line));
        return;
      } catch (err) {
        const index = duplicateKeyIndex(err, COLLECTIONS.history);
        if (index === ID_INDEX) return;
        if (index === '' && (await this.findById(entry.id))) return;
        if (index !== INDEX.historyChain && index !== '') throw err;
        if (attempt >= MAX_ATTEMPTS) throw new Error(`history of workspace ${entry.workspaceId}: no free seq after ${attempt} attempts`, { cause: err });
        if (attempt >= BACKOFF_AFTER) await sleep(Math.random() * Math.min(50, attempt * 2));
      }
    }
  }

  /** The workspace's last chained line, read through the (workspaceId, seq) index. */
  private async head(workspaceId: string): Promise<ChainHead | null> {
    const doc = await this.col.findOne(
      { workspaceId, seq: CHAINED },
      { sort: { seq: -1 }, projection: { seq: 1, hash: 1 } },
    );
    return doc && typeof doc.seq === 'number' && typeof doc.hash === 'string' ? { seq: doc.seq, hash: doc.hash } : null;
  }

  async findById(id: string): Promise<HistoryEntry | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<HistoryEntry>(doc);
  }

  async listBySubject(type: HistorySubjectType, id: string, limit: number): Promise<HistoryEntry[]> {
    const n = toLimit(limit);
    if (!isKey(type) || !isKey(id) || n <= 0) return [];
    const docs = await this.col
      .find({ 'subject.type': type, 'subject.id': id })
      .sort({ at: -1 })
      .limit(n)
      .toArray();
    return docs.map((d) => fromDoc<HistoryEntry>(d));
  }

  /**
   * In seq order through the (workspaceId, seq) index; the `$gte: 1` repeats the index's partial
   * filter so the planner may use it. Time and subject filters are applied to the lines the range reads.
   */
  async listByWorkspace(workspaceId: string, q: HistoryQuery): Promise<ChainedEntry[]> {
    const n = toLimit(q.limit);
    if (!isKey(workspaceId) || n <= 0 || !Number.isSafeInteger(q.afterSeq)) return [];
    const filter: Record<string, unknown> = { workspaceId, seq: { $gt: q.afterSeq, ...CHAINED } };
    const at: Record<string, Date> = {};
    if (q.since instanceof Date) at.$gte = q.since;
    if (q.until instanceof Date) at.$lt = q.until;
    if (Object.keys(at).length > 0) filter.at = at;
    if (q.subject !== undefined) {
      if (!isKey(q.subject)) return [];
      filter.$or = [{ 'subject.id': q.subject }, { 'subject.label': q.subject }];
    }
    const docs = await this.col
      .find(filter as Filter<Doc<HistoryEntry>>)
      .sort({ seq: 1 })
      .limit(n)
      .toArray();
    return docs.map((d) => fromDoc<ChainedEntry>(d as Doc<ChainedEntry>));
  }
}
