/**
 * Access reviews in the use cases, on the memory store with the injected clock: a retired
 * workspace's campaign is stopped by the sweep, a campaign whose only reviewer is the subject of an
 * item says so, and the scheduled id is the same for every worker in a period.
 */
import { describe, expect, it } from 'vitest';
import { AccessReviewClosing } from '../../src/app/access-review-closing.js';
import { AccessReviewService, scheduledId } from '../../src/app/access-reviews.js';
import { Identities } from '../../src/app/identity.js';
import { Policies } from '../../src/app/policies.js';
import type { AccessReviewNotifier, People } from '../../src/app/ports.js';
import { noGroups } from '../../src/app/ports/directory.js';
import { applySeed, Seed } from '../../src/app/seed.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { FakeClock, FakeQueue, WS_ID } from './fixtures.js';

const people: People = { emailOf: async (id) => (id === 'UJANE' ? 'jane.roe@meshlab.de' : `${id.toLowerCase()}@x.example`), userOf: async () => null, forget: async () => {} };

async function setup(reviewers: string[]) {
  const store = createMemoryStore();
  const seed = (accessReviews: object[]) => Seed.parse({
    workspaces: [{
      id: WS_ID, name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'CAPPROVALS', notificationChannels: ['CNOTIFY'] },
      admins: ['UADMIN'], approvers: ['UAPPR1'], policy: { accessReviews },
      users: [{ email: 'jane.roe@meshlab.de', role: 'ADMIN' }, { email: 'max@meshlab.de', role: 'ADMIN' }],
    }],
  });
  await applySeed(store, seed([{ name: 'admins', everyDays: 90, roles: ['ADMIN'], reviewers, dueDays: 14 }]), createLog('silent'));
  const told: string[] = [];
  const summaries: string[] = [];
  const notifier: AccessReviewNotifier = { tellReviewer: async (_ws, _c, r, step, n) => void told.push(`${step}:${r}:${n}`), summary: async (_ws, text) => void summaries.push(text) };
  const deps = { store, clock: new FakeClock(), log: createLog('silent'), policies: new Policies(noGroups), identities: new Identities({ people, log: createLog('silent') }), notifier, queue: new FakeQueue() };
  return { store, told, summaries, reviews: new AccessReviewService(deps), closing: new AccessReviewClosing(deps), retire: (now: Date) => store.workspaces.retire(WS_ID, now) };
}

describe('access reviews (use cases)', () => {
  it('starts each scheduled campaign once per period, and stops it when its workspace is retired', async () => {
    const w = await setup(['UAPPR1']);
    expect(await Promise.all([w.reviews.startDue(), w.reviews.startDue()])).toEqual([1, 0]);
    expect(w.told).toEqual(['ask:UAPPR1:2']);
    const [c] = await w.store.accessReviews.listCampaigns(WS_ID, { limit: 5 });
    expect(c!.id).toBe(scheduledId(WS_ID, 'admins', c!.period!));
    await w.retire(new Date());
    expect(await w.closing.sweep()).toBe(1);
    expect(await w.store.accessReviews.findCampaign(c!.id)).toMatchObject({ status: 'STOPPED', closedBy: 'keywarden', openKey: null });
    expect(await w.store.accessReviews.countItems(c!.id)).toMatchObject({ unreviewed: 2, undecided: 0 });
    expect(w.summaries).toEqual([]); // nobody to tell in a retired workspace
  });

  it('says so when the only reviewer is the subject of an item, and counts that item out of their DM', async () => {
    const w = await setup(['UJANE']);
    await w.reviews.startDue();
    expect(w.told).toEqual(['ask:UJANE:1']);
    const ws = (await w.store.workspaces.findById(WS_ID))!;
    const [status] = await w.reviews.status(ws);
    expect(status!.selfOnly).toBe('jane.roe@meshlab.de');
  });
});
