/**
 * The Store contract for access reviews (app/ports/access-review-store.ts): one OPEN campaign per
 * name, once-only steps, items paged in seq order, decided once, and counted. Run against every
 * adapter by memory.test.ts and mongodb.test.ts, like storeContract.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/app/ports.js';
import type { Campaign, CampaignItem, ItemDecision } from '../../src/domain/access-review.js';
import { at, T0, useFreshStore } from './contract.js';

const injected = { $gt: '' } as unknown as string;

export const campaign = (o: Partial<Campaign> = {}): Campaign => {
  const workspaceId = o.workspaceId ?? randomUUID();
  const name = o.name ?? 'quarterly-admins';
  return {
    id: randomUUID(), workspaceId, name, period: null, status: 'OPEN', openKey: `${workspaceId}:${name}`,
    definition: { roles: ['ADMIN'], statuses: ['ACTIVE'], reviewers: ['U-rev'], dueDays: 14, unreviewed: 'keep' },
    reviewers: ['U-rev'], startedBy: 'U-admin', startedAt: T0, dueAt: at(14 * 24 * 60), ready: true, itemCount: 0,
    closedAt: null, closedBy: null, closing: null, steps: {}, version: 0, ...o,
  };
};

export const item = (c: Campaign, seq: number, o: Partial<CampaignItem> = {}): CampaignItem => {
  const permissionId = randomUUID();
  return {
    id: `${c.id}/${permissionId}`, campaignId: c.id, workspaceId: c.workspaceId, seq, permissionId, userId: randomUUID(),
    email: `user${seq}@acme.example`, name: `User ${seq}`, role: 'ADMIN', status: 'ACTIVE', lastLogin: null,
    origin: { at: T0, requestId: randomUUID(), requester: 'U-admin', approvers: ['U-appr'] }, grant: null, decision: null, version: 0, ...o,
  };
};

const decision = (o: Partial<ItemDecision> = {}): ItemDecision => ({
  verdict: 'keep', role: null, by: 'U-rev', at: at(5), how: 'item', action: null, requestId: null, carried: true, ...o,
});

export function accessReviewsContract(name: string, open: () => Promise<Store>): void {
  describe(name, () => {
    let store: Store;
    useFreshStore(open, (s) => {
      store = s;
    });

    it('inserts a campaign once by id, and only one OPEN campaign per workspace and name', async () => {
      const c = campaign();
      expect(await store.accessReviews.insertCampaign(c)).toBe(true);
      expect(await store.accessReviews.insertCampaign({ ...c, startedBy: 'U-other' })).toBe(false);
      expect(await store.accessReviews.insertCampaign(campaign({ workspaceId: c.workspaceId }))).toBe(false);
      expect(await store.accessReviews.findCampaign(c.id)).toEqual(c);
      expect(await store.accessReviews.findOpen(c.workspaceId, c.name)).toEqual(c);
      // Closed, the name is free for the next period's campaign.
      expect(await store.accessReviews.updateCampaign(c.id, 0, { status: 'CLOSED', openKey: null, closedAt: at(9) })).toMatchObject({ status: 'CLOSED', openKey: null, version: 1 });
      expect(await store.accessReviews.findOpen(c.workspaceId, c.name)).toBeNull();
      const next = campaign({ workspaceId: c.workspaceId, startedAt: at(60) });
      expect(await store.accessReviews.insertCampaign(next)).toBe(true);
      expect((await store.accessReviews.listCampaigns(c.workspaceId, { limit: 10 })).map((x) => x.id)).toEqual([next.id, c.id]);
      expect((await store.accessReviews.listCampaigns(c.workspaceId, { limit: 10, before: at(60) })).map((x) => x.id)).toEqual([c.id]);
      expect((await store.accessReviews.listOpen(10)).map((x) => x.id)).toEqual([next.id]);
      expect(await store.accessReviews.findCampaign(injected)).toBeNull();
      expect(await store.accessReviews.findOpen(injected, injected)).toBeNull();
    });

    it('updateCampaign is a compare-and-set; claimStep is true for exactly one caller until released', async () => {
      const c = campaign();
      await store.accessReviews.insertCampaign(c);
      const wins = await Promise.all(Array.from({ length: 8 }, () => store.accessReviews.updateCampaign(c.id, 0, { ready: false })));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.accessReviews.claimStep(c.id, 'half', at(3))));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.accessReviews.findCampaign(c.id))!.steps).toEqual({ half: at(3) });
      await store.accessReviews.releaseStep(c.id, 'half');
      expect(await store.accessReviews.claimStep(c.id, 'half', at(4))).toBe(true);
      expect(await store.accessReviews.claimStep(injected, 'half', at(4))).toBe(false);
    });

    it('pages items in seq order (undecided only when asked), finds one by email in any case, and skips items stored before', async () => {
      const c = campaign();
      const items = [3, 1, 2, 4].map((n) => item(c, n));
      await store.accessReviews.insertItems(items.slice(0, 2));
      await store.accessReviews.insertItems(items); // a resumed start: the first two are there already
      const page = (q: { afterSeq: number; limit: number; undecided?: boolean }) => store.accessReviews.listItems(c.id, q).then((xs) => xs.map((x) => x.seq));
      expect(await page({ afterSeq: 0, limit: 10 })).toEqual([1, 2, 3, 4]);
      expect(await page({ afterSeq: 1, limit: 2 })).toEqual([2, 3]);
      await store.accessReviews.decideItem(items[2]!.id, 0, decision());
      expect(await page({ afterSeq: 0, limit: 10, undecided: true })).toEqual([1, 3, 4]);
      expect((await store.accessReviews.findItemByEmail(c.id, 'USER3@Acme.Example'))!.id).toBe(items[0]!.id);
      expect(await store.accessReviews.findItemByEmail(c.id, 'nobody@acme.example')).toBeNull();
      expect(await store.accessReviews.listItems(injected, { afterSeq: 0, limit: 10 })).toEqual([]);
    });

    it('decides an item once: of concurrent decisions one wins, a stale version loses; counts by outcome', async () => {
      const c = campaign();
      const [a, b, d] = [item(c, 1), item(c, 2), item(c, 3)];
      await store.accessReviews.insertItems([a!, b!, d!]);
      const tries = await Promise.all(['U-1', 'U-2', 'U-3'].map((by) => store.accessReviews.decideItem(a!.id, 0, decision({ by }))));
      expect(tries.filter(Boolean)).toHaveLength(1);
      expect(await store.accessReviews.decideItem(a!.id, 1, decision())).toBeNull();
      const changed = await store.accessReviews.decideItem(b!.id, 0, decision({ verdict: 'change', role: 'MEMBER', requestId: randomUUID(), carried: false }));
      expect(changed).toMatchObject({ version: 1, decision: { verdict: 'change', role: 'MEMBER', carried: false } });
      expect((await store.accessReviews.listUncarried(10)).map((x) => x.id)).toEqual([b!.id]);
      await store.accessReviews.markCarried(b!.id);
      expect(await store.accessReviews.listUncarried(10)).toEqual([]);
      expect((await store.accessReviews.findItem(b!.id))!.decision!.carried).toBe(true);
      expect(await store.accessReviews.countItems(c.id)).toEqual({ total: 3, keep: 1, change: 1, archive: 0, unreviewed: 0, undecided: 1 });
      expect(await store.accessReviews.decideItem(injected, 0, decision())).toBeNull();
    });
  });
}
