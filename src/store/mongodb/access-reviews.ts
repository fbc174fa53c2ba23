/**
 * Access-review campaigns and items in MongoDB. One OPEN campaign per (workspace, name) is the
 * unique partial index on `openKey`; items are read in seq order through (campaignId, seq), and
 * the undecided ones through (campaignId, decision.verdict, seq), a page at a time.
 */
import { MongoBulkWriteError, type Collection } from 'mongodb';
import type { AccessReviewRepository, CampaignFields, ItemCounts } from '../../app/ports.js';
import type { Campaign, CampaignItem, ItemDecision } from '../../domain/access-review.js';
import { emailKey } from '../../domain/user.js';
import type { Doc } from './documents.js';
import { assertValidDates, casUpdate, COLLECTIONS, fromDoc, isDate, isKey, isVersion, setOf, toDoc, toLimit } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';

export type ItemDoc = Doc<CampaignItem> & { emailKey: string };

const UPDATABLE = ['status', 'openKey', 'ready', 'itemCount', 'closedAt', 'closedBy', 'closing'] as const satisfies readonly (keyof CampaignFields)[];
const DUPLICATE_KEY = 11000;
/** A safe step name: it becomes part of a field path. */
const isStep = (s: string) => /^[A-Za-z0-9-]{1,40}$/.test(s);

export class MongoAccessReviews implements AccessReviewRepository {
  constructor(private readonly campaigns: Collection<Doc<Campaign>>, private readonly items: Collection<ItemDoc>) {}

  async insertCampaign(c: Campaign): Promise<boolean> {
    try {
      await this.campaigns.insertOne(toDoc(c));
      return true;
    } catch (err) {
      if (duplicateKeyIndex(err, COLLECTIONS.accessReviewCampaigns) !== null) return false;
      throw err;
    }
  }

  async findCampaign(id: string): Promise<Campaign | null> {
    if (!isKey(id)) return null;
    const doc = await this.campaigns.findOne({ _id: id });
    return doc && fromDoc<Campaign>(doc);
  }

  async findOpen(workspaceId: string, name: string): Promise<Campaign | null> {
    if (!isKey(workspaceId) || !isKey(name)) return null;
    const doc = await this.campaigns.findOne({ openKey: `${workspaceId}:${name}` });
    return doc && fromDoc<Campaign>(doc);
  }

  async updateCampaign(id: string, expectedVersion: number, fields: CampaignFields): Promise<Campaign | null> {
    if (!isKey(id) || !isVersion(expectedVersion)) return null;
    const set = setOf(fields, UPDATABLE);
    // openKey: null is a value here (the campaign is no longer open), which setOf keeps.
    const doc = await this.campaigns.findOneAndUpdate({ _id: id, version: expectedVersion }, casUpdate(set), { returnDocument: 'after' });
    return doc && fromDoc<Campaign>(doc);
  }

  async claimStep(id: string, step: string, at: Date): Promise<boolean> {
    if (!isKey(id) || !isStep(step) || !isDate(at)) return false;
    const res = await this.campaigns.updateOne({ _id: id, [`steps.${step}`]: { $exists: false } }, { $set: { [`steps.${step}`]: at } });
    return res.modifiedCount === 1;
  }

  async releaseStep(id: string, step: string): Promise<void> {
    if (!isKey(id) || !isStep(step)) return;
    await this.campaigns.updateOne({ _id: id }, { $unset: { [`steps.${step}`]: '' } });
  }

  async listOpen(limit: number): Promise<Campaign[]> {
    const n = toLimit(limit);
    if (n <= 0) return [];
    return (await this.campaigns.find({ status: 'OPEN' }).sort({ startedAt: 1 }).limit(n).toArray()).map((d) => fromDoc<Campaign>(d));
  }

  async listCampaigns(workspaceId: string, q: { before?: Date; limit: number }): Promise<Campaign[]> {
    const n = toLimit(q.limit);
    if (!isKey(workspaceId) || n <= 0) return [];
    const filter = q.before && isDate(q.before) ? { workspaceId, startedAt: { $lt: q.before } } : { workspaceId };
    return (await this.campaigns.find(filter).sort({ startedAt: -1 }).limit(n).toArray()).map((d) => fromDoc<Campaign>(d));
  }

  async insertItems(items: CampaignItem[]): Promise<void> {
    if (items.length === 0) return;
    const docs = items.map((i) => ({ ...toDoc(i), emailKey: emailKey(i.email) }));
    try {
      await this.items.insertMany(docs, { ordered: false });
    } catch (err) {
      // Items stored by an earlier, interrupted start: the rest were inserted (unordered).
      if (err instanceof MongoBulkWriteError && Object.values(err.writeErrors).flat().every((e) => e.code === DUPLICATE_KEY)) return;
      throw err;
    }
  }

  async findItem(id: string): Promise<CampaignItem | null> {
    if (!isKey(id)) return null;
    const doc = await this.items.findOne({ _id: id });
    return doc && item(doc);
  }

  async listItems(campaignId: string, q: { afterSeq: number; limit: number; undecided?: boolean }): Promise<CampaignItem[]> {
    const n = toLimit(q.limit);
    if (!isKey(campaignId) || n <= 0 || !Number.isFinite(q.afterSeq)) return [];
    // `decision.verdict: null` also matches an item whose decision is null: the undecided ones.
    const filter = { campaignId, seq: { $gt: q.afterSeq }, ...(q.undecided && { 'decision.verdict': null }) };
    return (await this.items.find(filter).sort({ seq: 1 }).limit(n).toArray()).map(item);
  }

  async findItemByEmail(campaignId: string, email: string): Promise<CampaignItem | null> {
    if (!isKey(campaignId) || !isKey(email)) return null;
    const doc = await this.items.findOne({ campaignId, emailKey: emailKey(email) });
    return doc && item(doc);
  }

  async decideItem(id: string, expectedVersion: number, decision: ItemDecision): Promise<CampaignItem | null> {
    if (!isKey(id) || !isVersion(expectedVersion)) return null;
    assertValidDates(decision, 'decision');
    const doc = await this.items.findOneAndUpdate(
      { _id: id, version: expectedVersion, decision: null },
      { $set: { decision }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    return doc && item(doc);
  }

  async markCarried(id: string): Promise<void> {
    if (!isKey(id)) return;
    await this.items.updateOne({ _id: id, 'decision.carried': false }, { $set: { 'decision.carried': true } });
  }

  async listUncarried(limit: number): Promise<CampaignItem[]> {
    const n = toLimit(limit);
    if (n <= 0) return [];
    return (await this.items.find({ 'decision.carried': false }).limit(n).toArray()).map(item);
  }

  async countItems(campaignId: string): Promise<ItemCounts> {
    const n: ItemCounts = { total: 0, keep: 0, change: 0, archive: 0, unreviewed: 0, undecided: 0 };
    if (!isKey(campaignId)) return n;
    const groups = await this.items
      .aggregate<{ _id: string | null; n: number }>([{ $match: { campaignId } }, { $group: { _id: '$decision.verdict', n: { $sum: 1 } } }])
      .toArray();
    for (const g of groups) {
      n.total += g.n;
      if (g._id === 'keep' || g._id === 'change' || g._id === 'archive' || g._id === 'unreviewed') n[g._id] += g.n;
      else n.undecided += g.n;
    }
    return n;
  }
}

function item(doc: ItemDoc): CampaignItem {
  const { emailKey: _, ...rest } = doc;
  return fromDoc<CampaignItem>(rest);
}
