/**
 * Reviews of technical users across the injected clock: asked, reminded once, escalated once,
 * marked unreviewed, a delete request opened by Keywarden; Keep starts a new period; concurrent
 * scans (two workers) never take a step twice.
 */
import { describe, expect, it } from 'vitest';
import { OwnershipReviewService } from '../../src/app/ownership-reviews.js';
import type { ReviewNotifier, ReviewSubject } from '../../src/app/ports.js';
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { RequestService } from '../../src/app/requests.js';
import { TechnicalUserRequests } from '../../src/app/technical-user-requests.js';
import { TechnicalUserService } from '../../src/app/technical-users.js';
import { JweTokenSealer } from '../../src/crypto/jwe-sealer.js';
import { Codes } from '../../src/domain/errors.js';
import { SYSTEM_REQUESTER } from '../../src/domain/request.js';
import type { Workspace } from '../../src/domain/workspace.js';
import { createLog } from '../../src/log.js';
import { technicalUser } from '../store/contract.js';
import { ADMIN, APPROVER1, world, WS_ID } from './fixtures.js';

const DAY = 86_400_000;
const OWNER = 'UOWNER1';

class FakeReviews implements ReviewNotifier {
  readonly sent: Array<{ what: 'ask' | 'remind' | 'overdue'; userName: string; owner: string | null }> = [];
  fail = 0;
  async askOwner(_ws: Workspace, s: ReviewSubject, reminder: boolean) {
    if (this.fail > 0 && this.fail--) throw new Error('slack down');
    this.sent.push({ what: reminder ? 'remind' : 'ask', userName: s.technicalUser.userName, owner: s.record.owner });
  }
  async reviewOverdue(_ws: Workspace, s: ReviewSubject) {
    this.sent.push({ what: 'overdue', userName: s.technicalUser.userName, owner: s.record.owner });
  }
}

async function setup(policy: { techUserReviewDays?: number; deleteUnreviewedAfterDays?: number } = {}) {
  const w = await world();
  await w.store.workspaces.upsert({ ...w.ws, policy: { ...w.ws.policy, techUserReviewDays: 90, ...policy } });
  const ws = (await w.store.workspaces.findById(WS_ID))!;
  const log = createLog('silent');
  const users = new TechnicalUserService({
    store: w.store, clock: w.clock, log, notifier: w.notifier, sealer: new JweTokenSealer('x'.repeat(40)), revealTtlHours: 24,
  });
  const requests = new RequestService({
    store: w.store, notifier: w.notifier, queue: w.queue, clock: w.clock, log,
    handlers: { permission: new PermissionRequests(w.permissions), techuser: new TechnicalUserRequests({ store: w.store, users, clock: w.clock }) },
  });
  const reviews = new FakeReviews();
  const make = () => new OwnershipReviewService({ store: w.store, notifier: w.notifier, reviews, requests, clock: w.clock, log });
  const service = make();
  const tu = technicalUser({ workspaceId: WS_ID, userName: 'ci-bot', createdAt: w.clock.now() });
  await w.store.technicalUsers.insert(tu);
  await service.adopt(tu, OWNER);
  const record = async () => (await w.store.ownership.findById(tu.id))!;
  const actions = async () => (await w.store.history.listBySubject('technicalUser', tu.id, 50)).map((h) => h.action).reverse();
  return { w, ws, service, make, reviews, tu, record, actions, requests };
}

describe('technical user reviews across the clock', () => {
  it('asks the owner after the period, reminds once at 7 days, escalates once at 14, and marks it unreviewed', async () => {
    const { w, service, reviews, record, actions } = await setup();
    expect(await service.scan()).toBe(0);
    w.clock.advance(89 * DAY);
    expect(await service.scan()).toBe(0);
    w.clock.advance(DAY);
    expect(await service.scan()).toBe(1);
    expect(reviews.sent).toEqual([{ what: 'ask', userName: 'ci-bot', owner: OWNER }]);
    expect(await record()).toMatchObject({ stage: 'asked', askedAt: w.clock.now() });
    for (let d = 0; d < 6; d++) {
      w.clock.advance(DAY);
      expect(await service.scan()).toBe(0);
    }
    w.clock.advance(DAY);
    expect(await service.scan()).toBe(1);
    expect(await service.scan()).toBe(0);
    expect(reviews.sent.map((s) => s.what)).toEqual(['ask', 'remind']);
    w.clock.advance(7 * DAY);
    expect(await service.scan()).toBe(1);
    expect(reviews.sent.map((s) => s.what)).toEqual(['ask', 'remind', 'overdue']);
    expect(await record()).toMatchObject({ stage: 'escalated', nextAt: null });
    expect(await w.store.ownership.countUnreviewed()).toBe(1);
    // Without deleteUnreviewedAfterDays nothing more happens, however long nobody answers.
    w.clock.advance(400 * DAY);
    expect(await service.scan()).toBe(0);
    expect(reviews.sent).toHaveLength(3);
    expect(await actions()).toEqual(['techuser.review_asked', 'techuser.review_reminded', 'techuser.review_overdue']);
  });

  it('opens one delete request by Keywarden once unreviewed for deleteUnreviewedAfterDays; people still approve it', async () => {
    const { w, service, record, requests, tu } = await setup({ deleteUnreviewedAfterDays: 30 });
    for (const days of [90, 7, 7]) {
      w.clock.advance(days * DAY);
      await service.scan();
    }
    expect((await record()).stage).toBe('escalated');
    w.clock.advance(29 * DAY);
    expect(await service.scan()).toBe(0);
    w.clock.advance(DAY);
    expect(await service.scan()).toBe(1);
    w.clock.advance(DAY);
    expect(await service.scan()).toBe(0);
    const rec = await record();
    expect(rec.stage).toBe('delete-requested');
    const r = (await w.store.requests.findById(rec.deleteRequestId!))!;
    expect(r).toMatchObject({ kind: 'techuser.delete', params: { userName: 'ci-bot' }, requester: SYSTEM_REQUESTER, status: 'PENDING' });
    expect(r.reason).toMatch(/Nobody confirmed that ci-bot is still needed/);
    expect(w.notifier.created.map((c) => c.id)).toEqual([r.id]);
    const decided = await requests.decide({ requestId: r.id, actor: APPROVER1, teamId: 'T1', verdict: 'approve' });
    expect(decided.request.status).toBe('APPROVED');
    // Keywarden is no admin, yet its request is carried out: the approvers' authority is what counts.
    expect(await requests.apply(r.id)).toMatchObject({ status: 'APPLIED' });
    expect(await w.store.technicalUsers.findById(tu.id)).toBeNull();
    expect(w.notifier.told).toEqual([]); // nobody to DM
  });

  it('Keep records a review and starts a new period; only the owner or an admin may keep', async () => {
    const { w, service, reviews, tu, record, actions } = await setup();
    w.clock.advance(90 * DAY);
    await service.scan();
    await expect(service.keep(tu.id, 'USOMEONE')).rejects.toMatchObject({ code: Codes.REVIEW_NOT_OWNER });
    w.clock.advance(3 * DAY);
    const keptAt = w.clock.now();
    await service.keep(tu.id, OWNER);
    expect(await record()).toMatchObject({ stage: 'waiting', periodStart: keptAt, askedAt: null, lastReviewedBy: OWNER, nextAt: new Date(keptAt.getTime() + 90 * DAY) });
    w.clock.advance(30 * DAY);
    expect(await service.scan()).toBe(0); // no reminder for the answered ask
    w.clock.advance(60 * DAY);
    expect(await service.scan()).toBe(1);
    expect(reviews.sent.map((s) => s.what)).toEqual(['ask', 'ask']);
    w.clock.advance(60_000);
    await service.keep(tu.id, ADMIN);
    expect(await actions()).toEqual(['techuser.review_asked', 'techuser.review_kept', 'techuser.review_asked', 'techuser.review_kept']);
  });

  it('two workers scanning at once never ask twice, and a failed message is handed back and sent once later', async () => {
    const { w, make, reviews } = await setup();
    for (let i = 0; i < 20; i++) {
      const tu = technicalUser({ workspaceId: WS_ID, userName: `bot-${i}`, createdAt: w.clock.now() });
      await w.store.technicalUsers.insert(tu);
      await make().adopt(tu, OWNER);
    }
    w.clock.advance(90 * DAY);
    reviews.fail = 1;
    const counts = await Promise.all([make().scan(), make().scan(), make().scan()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(await make().scan()).toBe(1); // the one handed back
    expect(await make().scan()).toBe(0);
    const asked = reviews.sent.filter((s) => s.what === 'ask').map((s) => s.userName).sort();
    expect(asked).toEqual([...new Set(asked)]);
    expect(asked).toHaveLength(21);
  });

  it('adopts technical users made before reviews: owner from the create request or history, else unowned', async () => {
    const { w, service } = await setup();
    const legacy = technicalUser({ workspaceId: WS_ID, userName: 'legacy', createdAt: new Date(w.clock.now().getTime() - 200 * DAY) });
    const fromHistory = technicalUser({ workspaceId: WS_ID, userName: 'from-history', createdAt: w.clock.now() });
    for (const t of [legacy, fromHistory]) await w.store.technicalUsers.insert(t);
    await w.store.history.append({
      id: `${fromHistory.id}:c`, workspaceId: WS_ID, subject: { type: 'technicalUser', id: fromHistory.id, label: 'from-history' },
      action: 'techuser.created', actor: { type: 'slack', id: 'UCREATOR' }, requestId: null, approvers: [], before: null, after: null, at: w.clock.now(),
    });
    expect(await service.adoptAll()).toBe(2);
    expect(await service.adoptAll()).toBe(0);
    expect(await w.store.ownership.findById(legacy.id)).toMatchObject({ owner: null, ownerSource: 'none' });
    expect(await w.store.ownership.findById(fromHistory.id)).toMatchObject({ owner: 'UCREATOR', ownerSource: 'history' });
    // Its first period ran from its creation: it is asked at the next scan.
    expect(await service.scan()).toBe(1);
  });

  it('with reviews off (0 days) asks nobody, and forgets records of deleted technical users', async () => {
    const { w, service, reviews, tu } = await setup({ techUserReviewDays: 0 });
    w.clock.advance(365 * DAY);
    expect(await service.scan()).toBe(0);
    expect(reviews.sent).toEqual([]);
    await w.store.technicalUsers.delete(tu.id, tu.version);
    w.clock.advance(2 * DAY);
    await service.scan();
    expect(await w.store.ownership.findById(tu.id)).toBeNull();
  });
});
