import type { Collection, Filter } from 'mongodb';
import type { RequestFields, RequestListFilter, RequestRepository } from '../../app/ports.js';
import { UNDELIVERED_KEPT } from '../../app/ports.js';
import type { ChangeRequest, OwedEvent, RequestStatus, UndeliveredMessage } from '../../domain/request.js';
import { DuplicateKeyError } from '../errors.js';
import type { Doc } from './documents.js';
import { amongWorkspaces, assertKey, assertValidDates, casUpdate, COLLECTIONS, fromDoc, isDate, isKey, isVersion, setOf, toDoc, toLimit } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';

type RequestDoc = Doc<ChangeRequest>;

/** A notice key becomes part of a field path: no dots, no dollar signs. */
const NOTICE_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,40}$/;

const UPDATABLE = [
  'status', 'approvals', 'decidedBy', 'decidedAt', 'outcome', 'appliedAt', 'remindAt', 'escalateAt', 'breakGlass',
] as const satisfies readonly (keyof RequestFields)[];

export class MongoRequests implements RequestRepository {
  constructor(private readonly col: Collection<RequestDoc>) {}

  async insert(r: ChangeRequest): Promise<void> {
    assertKey(r.id, 'request.id');
    try {
      await this.col.insertOne(toDoc(r));
    } catch (err) {
      // _id_ is the collection's only unique index: a second insert of an id, as in the memory store.
      if (duplicateKeyIndex(err, COLLECTIONS.requests) !== null) throw new DuplicateKeyError('requests', '_id');
      throw err;
    }
  }

  async findById(id: string): Promise<ChangeRequest | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<ChangeRequest>(doc);
  }

  async update(
    id: string,
    expected: { status: RequestStatus; version: number },
    fields: RequestFields,
    owed?: OwedEvent,
  ): Promise<ChangeRequest | null> {
    if (!isKey(id) || !isKey(expected.status) || !isVersion(expected.version)) return null;
    const update: Record<string, unknown> = casUpdate(setOf(fields, UPDATABLE));
    if (owed) {
      // The webhooks' outbox, in the same write as the change.
      if (!isKey(owed.status) || !isDate(owed.at)) return null;
      update['$push'] = { unnoted: { status: owed.status, at: owed.at } };
    }
    const doc = await this.col.findOneAndUpdate({ _id: id, status: expected.status, version: expected.version }, update, { returnDocument: 'after' });
    return doc && fromDoc<ChangeRequest>(doc);
  }

  /** Through the unnoted.at index: only requests with a change owed are in it with a date. */
  async listUnnoted(before: Date, limit: number): Promise<ChangeRequest[]> {
    const n = toLimit(limit);
    if (!isDate(before) || n <= 0) return [];
    const docs = await this.col.find({ 'unnoted.at': { $lte: before } }).sort({ 'unnoted.at': 1 }).limit(n).toArray();
    return docs.map((d) => fromDoc<ChangeRequest>(d));
  }

  async markNoted(id: string, status: RequestStatus): Promise<void> {
    if (!isKey(id) || !isKey(status)) return;
    await this.col.updateOne({ _id: id }, { $pull: { unnoted: { status } } });
  }

  async setSlackRef(id: string, ref: { channel: string; ts: string }): Promise<void> {
    if (!isKey(id)) return;
    await this.col.updateOne({ _id: id }, { $set: { slack: { channel: ref.channel, ts: ref.ts } } });
  }

  /** Like claimNotified, for the notice named `key`: one conditional write on `notices.<key>`. */
  async claimNotice(id: string, key: string, at: Date): Promise<boolean> {
    if (!isKey(id) || !NOTICE_KEY.test(key)) return false;
    const res = await this.col.updateOne({ _id: id, [`notices.${key}`]: { $exists: false } }, { $set: { [`notices.${key}`]: at } });
    return res.modifiedCount === 1;
  }

  async releaseNotice(id: string, key: string): Promise<void> {
    if (!isKey(id) || !NOTICE_KEY.test(key)) return;
    await this.col.updateOne({ _id: id }, { $unset: { [`notices.${key}`]: '' } });
  }

  /** One conditional write: only the caller that finds notifiedAt still null gets true. */
  async claimNotified(id: string, at: Date): Promise<boolean> {
    if (!isKey(id)) return false;
    assertValidDates(at, 'notifiedAt');
    const res = await this.col.updateOne({ _id: id, notifiedAt: null }, { $set: { notifiedAt: at } });
    return res.modifiedCount === 1;
  }

  async releaseNotified(id: string): Promise<void> {
    if (!isKey(id)) return;
    await this.col.updateOne({ _id: id }, { $set: { notifiedAt: null } });
  }

  /** One $push, kept to the latest notes. */
  async noteUndelivered(id: string, note: UndeliveredMessage): Promise<void> {
    if (!isKey(id)) return;
    const clean: UndeliveredMessage = { message: note.message, status: note.status, error: String(note.error), at: note.at };
    assertValidDates(clean, 'undelivered');
    await this.col.updateOne({ _id: id }, { $push: { undelivered: { $each: [clean], $slice: -UNDELIVERED_KEPT } } });
  }

  async listDecided(status: RequestStatus, decidedBefore: Date, limit: number): Promise<ChangeRequest[]> {
    const n = toLimit(limit);
    if (!isKey(status) || !isDate(decidedBefore) || n <= 0) return [];
    const docs = await this.col
      .find({ status, decidedAt: { $lt: decidedBefore } })
      // Exactly the index's order, so the server reads `limit` entries and stops; a tie-breaker
      // on _id would make it sort every match first, and decided requests only accumulate.
      .sort({ decidedAt: 1 })
      .limit(n)
      .toArray();
    return docs.map((d) => fromDoc<ChangeRequest>(d));
  }

  /** Newest first, in the order of the index that matches the filter (see indexes.ts). */
  async listByWorkspace(workspaceId: string, filter: RequestListFilter): Promise<ChangeRequest[]> {
    const n = toLimit(filter.limit);
    if (!isKey(workspaceId) || n <= 0) return [];
    if ((filter.status !== undefined && !isKey(filter.status)) || (filter.requester !== undefined && !isKey(filter.requester))) return [];
    const query: Filter<RequestDoc> = { workspaceId };
    if (filter.status) query.status = filter.status;
    if (filter.requester) query.requester = filter.requester;
    if (filter.before) {
      if (!isDate(filter.before.createdAt) || !isKey(filter.before.id)) return [];
      const { createdAt, id } = filter.before;
      query.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }];
    }
    // _id breaks ties, so pages never skip or repeat requests made in the same millisecond.
    const docs = await this.col.find(query).sort({ createdAt: -1, _id: -1 }).limit(n).toArray();
    return docs.map((d) => fromDoc<ChangeRequest>(d));
  }

  listRemindersDue(now: Date, limit: number): Promise<ChangeRequest[]> {
    return this.listPending('remindAt', { $lte: now }, {}, limit);
  }

  listEscalationsDue(now: Date, limit: number): Promise<ChangeRequest[]> {
    return this.listPending('escalateAt', { $lte: now }, {}, limit);
  }

  listApprovalsOwed(before: Date, limit: number): Promise<ChangeRequest[]> {
    return this.listPending('approveAt', { $lte: before }, {}, limit);
  }

  /** `$type: 'null'`: a request without break-glass has no verdict field at all, and is not listed. */
  async listBreakGlassUnreviewed(limit: number, workspaceIds?: readonly string[]): Promise<ChangeRequest[]> {
    const n = toLimit(limit);
    if (n <= 0) return [];
    const docs = await this.col.find({ status: 'APPLIED', 'breakGlass.verdict': { $type: 'null' }, ...amongWorkspaces(workspaceIds) })
      .sort({ appliedAt: 1 }).limit(n).toArray();
    return docs.map((d) => fromDoc<ChangeRequest>(d));
  }

  listUnposted(createdBefore: Date, limit: number): Promise<ChangeRequest[]> {
    // `slack: null` is checked on the few pending ones the (status, createdAt) index finds.
    return this.listPending('createdAt', { $lt: createdBefore }, { slack: null }, limit);
  }

  listPendingExpired(now: Date, limit: number): Promise<ChangeRequest[]> {
    return this.listPending('expiresAt', { $lte: now }, {}, limit);
  }

  /**
   * PENDING requests whose `field` is due, earliest first, in the order of the (status, field)
   * index, so the server reads only the due entries and stops at `limit`.
   */
  private async listPending(
    field: 'remindAt' | 'createdAt' | 'expiresAt' | 'escalateAt' | 'approveAt', due: { $lt: Date } | { $lte: Date }, also: Filter<RequestDoc>, limit: number,
  ): Promise<ChangeRequest[]> {
    const n = toLimit(limit);
    if (!isDate('$lt' in due ? due.$lt : due.$lte) || n <= 0) return [];
    const docs = await this.col
      .find({ status: 'PENDING', ...also, [field]: due })
      .sort({ [field]: 1 })
      .limit(n)
      .toArray();
    return docs.map((d) => fromDoc<ChangeRequest>(d));
  }
}
