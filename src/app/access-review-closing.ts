/**
 * The end of access reviews: reminders to reviewers with undecided items (once at half time, once
 * a day before the due date, each claimed per reviewer), and the end itself: at the due date the
 * undecided items get the campaign's `unreviewed` action, when stopped (or its workspace retired)
 * they are left unreviewed, then the campaign closes and the notification channels get its
 * summary. The end is first claimed on the campaign (`closing`, a compare-and-set), then carried
 * out item by item (each its own compare-and-set), so a worker stopped half way is finished by the
 * next sweep, and nothing is done twice.
 */
import { randomUUID } from 'node:crypto';
import { reminderTimes, unreviewedChange, type Campaign, type ItemDecision } from '../domain/access-review.js';
import { Codes, DomainError } from '../domain/errors.js';
import { SYSTEM_REQUESTER } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import { isApprover } from '../domain/workspace.js';
import { carry } from './access-review-changes.js';
import { recordDecision, recordEnd } from './access-review-history.js';
import { AccessReviewService, definition, type AccessReviewDeps } from './access-reviews.js';
import type { ReviewerStep } from './ports.js';

const PAGE = 500;
/** A decision whose request is this old and still not stored was cut short: the sweep carries it. */
const UNCARRIED_AFTER_MS = 30_000;

export class AccessReviewClosing {
  private readonly reviews: AccessReviewService;

  constructor(private readonly deps: AccessReviewDeps) {
    this.reviews = new AccessReviewService(deps);
  }

  /** `/permission review stop <name>` (approvers): its undecided items are left unreviewed. */
  async stop(ws: Workspace, name: string, by: string): Promise<Campaign> {
    if (!isApprover(ws, by)) throw new DomainError(Codes.NOT_APPROVER, `Only approvers of ${ws.name} can stop an access review.`);
    const def = definition(ws, name);
    const c = await this.deps.store.accessReviews.findOpen(ws.id, def.name);
    if (!c) throw new DomainError(Codes.REVIEW_NOT_FOUND, `Access review ${def.name} is not open.`);
    const closing = c.closing ? c : await this.claimEnd(c, 'STOPPED', by);
    if (!closing) throw new DomainError(Codes.REVIEW_BUSY, `Access review ${def.name} is being closed right now; look again.`);
    return this.finish(ws, closing);
  }

  /** Reminders due, campaigns due (or of retired workspaces) closed, cut-short decisions carried. Returns how many things it did. */
  async sweep(): Promise<number> {
    const { store, clock, log } = this.deps;
    const now = clock.now();
    let n = 0;
    for (const c of await store.accessReviews.listOpen(200)) {
      try {
        const ws = await store.workspaces.findById(c.workspaceId);
        if (!c.ready) continue; // its start is finished by startDue first
        if (c.closing) await this.finish(ws, c);
        else if (!ws) await this.claimThenFinish(null, c, 'STOPPED', SYSTEM_REQUESTER);
        else if (now >= c.dueAt) await this.claimThenFinish(ws, c, 'CLOSED', null);
        else {
          const { half, dayBefore } = reminderTimes(c);
          if (now >= dayBefore) n += await this.remind(ws, c, 'dayBefore');
          else if (now >= half) n += await this.remind(ws, c, 'half');
          continue;
        }
        n++;
      } catch (err) {
        log.error({ err, campaign: c.id }, 'could not sweep an access review');
      }
    }
    for (const i of await store.accessReviews.listUncarried(200)) {
      if (now.getTime() - i.decision!.at.getTime() < UNCARRIED_AFTER_MS) continue;
      const [c, ws] = await Promise.all([store.accessReviews.findCampaign(i.campaignId), store.workspaces.findById(i.workspaceId)]);
      if (c && ws) await carry(this.deps, ws, c, i).then(() => n++, (err: unknown) => log.warn({ err, item: i.id }, 'could not carry out an access review decision'));
    }
    return n;
  }

  /** Each reviewer with undecided items, once per step. */
  private async remind(ws: Workspace, c: Campaign, step: Exclude<ReviewerStep, 'ask'>): Promise<number> {
    const { store, clock, notifier, log } = this.deps;
    const { undecided } = await store.accessReviews.countItems(c.id);
    let n = 0;
    for (const reviewer of c.reviewers) {
      const key = `${step}-${reviewer}`;
      if (c.steps[key] || !(await store.accessReviews.claimStep(c.id, key, clock.now()))) continue;
      const items = await this.reviews.itemsFor(ws, c, reviewer, undecided);
      if (items === 0) continue;
      try {
        await notifier.tellReviewer(ws, c, reviewer, step, items);
        n++;
      } catch (err) {
        await store.accessReviews.releaseStep(c.id, key).catch(() => undefined);
        log.warn({ err, campaign: c.id, reviewer }, 'could not remind a reviewer; the next sweep tries again');
      }
    }
    return n;
  }

  private async claimEnd(c: Campaign, status: 'CLOSED' | 'STOPPED', by: string | null): Promise<Campaign | null> {
    return this.deps.store.accessReviews.updateCampaign(c.id, c.version, { closing: { status, by, at: this.deps.clock.now() } });
  }

  private async claimThenFinish(ws: Workspace | null, c: Campaign, status: 'CLOSED' | 'STOPPED', by: string | null) {
    const claimed = await this.claimEnd(c, status, by);
    if (claimed) await this.finish(ws, claimed);
  }

  /** Gives every undecided item its end, closes the campaign, records it and sends the summary. */
  private async finish(ws: Workspace | null, c: Campaign): Promise<Campaign> {
    const { store, clock, log } = this.deps;
    const closing = c.closing!;
    // Stopped, or no workspace to change any more: left unreviewed. At the due date: the campaign's action.
    const action = closing.status === 'CLOSED' && ws ? c.definition.unreviewed : null;
    for (let page = await store.accessReviews.listItems(c.id, { afterSeq: 0, limit: PAGE, undecided: true }); page.length;) {
      for (const i of page) {
        const change = action ? unreviewedChange(action, i) : null;
        const decision: ItemDecision = {
          verdict: 'unreviewed', role: change?.verdict === 'change' ? change.role : null, by: SYSTEM_REQUESTER, at: clock.now(),
          how: closing.status === 'STOPPED' ? 'stopped' : 'due', action: action ?? 'keep', requestId: change ? randomUUID() : null, carried: !change,
        };
        const decided = await store.accessReviews.decideItem(i.id, i.version, decision);
        if (!decided) continue; // a reviewer decided it just now
        await recordDecision(store, c, decided);
        if (change && ws) await carry(this.deps, ws, c, decided).catch((err: unknown) => log.warn({ err, item: i.id }, 'could not queue an unreviewed action; the sweep will'));
      }
      page = await store.accessReviews.listItems(c.id, { afterSeq: page.at(-1)!.seq, limit: PAGE, undecided: true });
    }
    const counts = await store.accessReviews.countItems(c.id);
    const closed = (await store.accessReviews.updateCampaign(c.id, c.version, {
      status: closing.status, openKey: null, closedAt: clock.now(), closedBy: closing.by,
    })) ?? (await store.accessReviews.findCampaign(c.id))!;
    await recordEnd(store, closed, counts, closed.closedAt ?? clock.now());
    if (ws && (await store.accessReviews.claimStep(c.id, 'summary', clock.now()))) {
      await this.deps.notifier.summary(ws, await this.summaryText(ws, closed)).catch(async (err: unknown) => {
        await store.accessReviews.releaseStep(c.id, 'summary').catch(() => undefined);
        log.warn({ err, campaign: c.id }, 'could not post the summary of an access review');
      });
    }
    log.info({ campaign: c.id, status: closed.status, ...counts }, 'access review closed');
    return closed;
  }

  /** Kept, changed, archived, unreviewed, and by whom: read a page at a time. */
  async summaryText(ws: Workspace, c: Campaign): Promise<string> {
    const { store } = this.deps;
    const total = { keep: 0, change: 0, archive: 0, unreviewed: 0 };
    const byWhom = new Map<string, { keep: number; change: number; archive: number }>();
    for (let page = await store.accessReviews.listItems(c.id, { afterSeq: 0, limit: PAGE }); page.length;) {
      for (const i of page) {
        const d = i.decision;
        if (!d) continue;
        total[d.verdict]++;
        if (d.verdict === 'unreviewed') continue;
        const who = byWhom.get(d.by) ?? { keep: 0, change: 0, archive: 0 };
        who[d.verdict]++;
        byWhom.set(d.by, who);
      }
      page = await store.accessReviews.listItems(c.id, { afterSeq: page.at(-1)!.seq, limit: PAGE });
    }
    const how = c.status === 'STOPPED' ? `stopped${c.closedBy && c.closedBy !== SYSTEM_REQUESTER ? ` by <@${c.closedBy}>` : ''}` : 'closed at its due date';
    const unreviewed = c.status === 'STOPPED' ? 'left unreviewed' : `unreviewed (${c.definition.unreviewed === 'keep' ? 'kept, flagged in the evidence' : c.definition.unreviewed})`;
    const people = [...byWhom].slice(0, 40).map(([by, x]) => `<@${by}> ${x.keep} kept, ${x.change} changed, ${x.archive} archived`).join('; ');
    return `:clipboard: Access review ${c.name} in ${ws.name} ${how}: ${c.itemCount} items, ${total.keep} kept, ${total.change} changed, ${total.archive} archived, ${total.unreviewed} ${unreviewed}.${people ? ` By reviewer: ${people}.` : ''}`.slice(0, 3000);
  }
}
