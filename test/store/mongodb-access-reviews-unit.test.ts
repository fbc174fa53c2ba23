/**
 * What can be checked of the MongoDB access-review adapter without a server: the operations it
 * sends (against recording fake collections) and how it reads the driver's duplicate-key errors.
 * Its behaviour against a real server is the store contract's (contract-access-reviews.ts).
 */
import type { Collection, Document } from 'mongodb';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { describe, expect, it, vi } from 'vitest';
import { MongoAccessReviews, type ItemDoc } from '../../src/store/mongodb/access-reviews.js';
import { toDoc, type Doc } from '../../src/store/mongodb/documents.js';
import type { Campaign } from '../../src/domain/access-review.js';
import { at } from './contract.js';
import { campaign, item } from './contract-access-reviews.js';

function fake(o: { insertOne?: unknown; insertMany?: unknown; findOneAndUpdate?: unknown; updateOne?: unknown; found?: Document[]; groups?: Document[] } = {}) {
  const ret = (v: unknown) => vi.fn(async () => {
    if (v instanceof Error) throw v;
    return v;
  });
  const cursor = { sort: vi.fn(() => cursor), limit: vi.fn(() => cursor), toArray: vi.fn(async () => o.found ?? []) };
  const col = {
    insertOne: ret(o.insertOne ?? { acknowledged: true }), insertMany: ret(o.insertMany ?? { acknowledged: true }),
    findOne: ret(null), findOneAndUpdate: ret(o.findOneAndUpdate ?? null), updateOne: ret(o.updateOne ?? { modifiedCount: 1 }),
    find: vi.fn(() => cursor), aggregate: vi.fn(() => ({ toArray: async () => o.groups ?? [] })),
  };
  return { col, cursor, as: <T extends Document>() => col as unknown as Collection<T> };
}
const dup = (keyPattern: Document) => new MongoServerError({ message: 'E11000', code: 11000, keyPattern, keyValue: {} });

describe('MongoAccessReviews', () => {
  it('insertCampaign: one insertOne; a duplicate on _id or on the open name is false', async () => {
    const c = campaign();
    const ok = fake();
    expect(await new MongoAccessReviews(ok.as<Doc<Campaign>>(), fake().as<ItemDoc>()).insertCampaign(c)).toBe(true);
    expect(ok.col.insertOne).toHaveBeenCalledWith(toDoc(c));
    for (const keyPattern of [{ _id: 1 }, { openKey: 1 }]) {
      const f = fake({ insertOne: dup(keyPattern) });
      expect(await new MongoAccessReviews(f.as<Doc<Campaign>>(), fake().as<ItemDoc>()).insertCampaign(c)).toBe(false);
    }
  });

  it('decideItem is one findOneAndUpdate on (_id, version, no decision yet)', async () => {
    const c = campaign();
    const i = item(c, 1);
    const items = fake({ findOneAndUpdate: { ...toDoc(i), emailKey: i.email, version: 1 } });
    const d = { verdict: 'keep' as const, role: null, by: 'U1', at: at(1), how: 'item' as const, action: null, requestId: null, carried: true };
    const won = await new MongoAccessReviews(fake().as<Doc<Campaign>>(), items.as<ItemDoc>()).decideItem(i.id, 0, d);
    expect(items.col.findOneAndUpdate).toHaveBeenCalledWith({ _id: i.id, version: 0, decision: null }, { $set: { decision: d }, $inc: { version: 1 } }, { returnDocument: 'after' });
    expect(won).toEqual({ ...i, version: 1 });
    expect(Object.keys(won!)).not.toContain('emailKey');
    expect(await new MongoAccessReviews(fake().as<Doc<Campaign>>(), fake().as<ItemDoc>()).decideItem({ $gt: '' } as unknown as string, 0, d)).toBeNull();
  });

  it('listItems reads a page after a seq, in seq order, only undecided ones when asked', async () => {
    const items = fake();
    const store = new MongoAccessReviews(fake().as<Doc<Campaign>>(), items.as<ItemDoc>());
    await store.listItems('c1', { afterSeq: 20, limit: 10, undecided: true });
    expect(items.col.find).toHaveBeenCalledWith({ campaignId: 'c1', seq: { $gt: 20 }, 'decision.verdict': null });
    expect(items.cursor.sort).toHaveBeenCalledWith({ seq: 1 });
    expect(items.cursor.limit).toHaveBeenCalledWith(10);
    await store.listItems('c1', { afterSeq: 0, limit: 5 });
    expect(items.col.find).toHaveBeenLastCalledWith({ campaignId: 'c1', seq: { $gt: 0 } });
  });

  it('insertItems: unordered insertMany with the email key; duplicates from an earlier start are skipped, other errors are not', async () => {
    const c = campaign();
    const i = item(c, 1, { email: 'Ann@Acme.Example' });
    const items = fake();
    await new MongoAccessReviews(fake().as<Doc<Campaign>>(), items.as<ItemDoc>()).insertItems([i]);
    expect(items.col.insertMany).toHaveBeenCalledWith([{ ...toDoc(i), emailKey: 'ann@acme.example' }], { ordered: false });
    const bulk = (code: number) => new MongoBulkWriteError({ message: 'bulk', code, writeErrors: [{ code, index: 0, errmsg: 'x' } as never] } as never, {} as never);
    await expect(new MongoAccessReviews(fake().as<Doc<Campaign>>(), fake({ insertMany: bulk(11000) }).as<ItemDoc>()).insertItems([i])).resolves.toBeUndefined();
    await expect(new MongoAccessReviews(fake().as<Doc<Campaign>>(), fake({ insertMany: bulk(121) }).as<ItemDoc>()).insertItems([i])).rejects.toThrow();
  });

  it('claimStep sets the step only where it is unset; a step name that is not plain is refused', async () => {
    const campaigns = fake({ updateOne: { modifiedCount: 1 } });
    const store = new MongoAccessReviews(campaigns.as<Doc<Campaign>>(), fake().as<ItemDoc>());
    expect(await store.claimStep('c1', 'half-U1', at(2))).toBe(true);
    expect(campaigns.col.updateOne).toHaveBeenCalledWith({ _id: 'c1', 'steps.half-U1': { $exists: false } }, { $set: { 'steps.half-U1': at(2) } });
    expect(await store.claimStep('c1', 'a.b', at(2))).toBe(false);
    expect(await store.claimStep('c1', '$where', at(2))).toBe(false);
  });

  it('countItems groups by verdict; items without one are undecided', async () => {
    const items = fake({ groups: [{ _id: 'keep', n: 3 }, { _id: null, n: 2 }, { _id: 'unreviewed', n: 1 }] });
    expect(await new MongoAccessReviews(fake().as<Doc<Campaign>>(), items.as<ItemDoc>()).countItems('c1'))
      .toEqual({ total: 6, keep: 3, change: 0, archive: 0, unreviewed: 1, undecided: 2 });
  });
});
