/**
 * Reviewers deciding items: Keep (recorded), Change role and Archive (carried out as a request on
 * the reviewer's authority, access-review-changes.ts), and Keep all on a page. Each item is decided
 * once, by a compare-and-set on the item: a second click, or two reviewers at once, find it
 * decided and are told by whom. Nobody reviews their own permission (app/identity.ts), and a
 * reviewer whose identity Slack cannot establish reviews nothing until it can.
 */
import { randomUUID } from 'node:crypto';
import type { Campaign, CampaignItem, ItemDecision } from '../domain/access-review.js';
import { Codes, DomainError } from '../domain/errors.js';
import type { Role } from '../domain/permission.js';
import type { Workspace } from '../domain/workspace.js';
import { carry } from './access-review-changes.js';
import { recordDecision } from './access-review-history.js';
import type { AccessReviewDeps } from './access-reviews.js';

export interface ItemDecisionInput {
  itemId: string;
  reviewer: string;
  teamId: string;
  verdict: 'keep' | 'change' | 'archive';
  role?: Role;
}

/** What a reviewer sees of a campaign: a page of their undecided items (never their own). */
export interface ReviewerPage {
  campaign: Campaign;
  workspace: Workspace;
  items: CampaignItem[];
  /** The seq the page starts after, and the one the next page starts after (null: this is the last). */
  afterSeq: number;
  nextAfterSeq: number | null;
  /** How many of their items are undecided in all. */
  left: number;
}

export class AccessReviewDecisions {
  constructor(private readonly deps: AccessReviewDeps) {}

  /** An open campaign of team `teamId` that `reviewer` reviews. */
  async campaignFor(campaignId: string, reviewer: string, teamId: string): Promise<{ c: Campaign; ws: Workspace }> {
    const { store } = this.deps;
    const c = await store.accessReviews.findCampaign(campaignId);
    const ws = c && (await store.workspaces.findById(c.workspaceId));
    if (!c || !ws || ws.slack.teamId !== teamId) throw new DomainError(Codes.REVIEW_NOT_FOUND, 'That access review does not exist.');
    if (c.status !== 'OPEN' || c.closing) throw new DomainError(Codes.REVIEW_DECIDED, `Access review ${c.name} is ${c.closing ? 'closing' : c.status.toLowerCase()}; nothing more can be decided in it.`);
    if (!c.reviewers.includes(reviewer)) throw new DomainError(Codes.NOT_APPROVER, `Only the reviewers of ${c.name} can decide its items.`);
    return { c, ws };
  }

  async decide(input: ItemDecisionInput): Promise<CampaignItem> {
    const { store, clock, identities, log } = this.deps;
    const item = await store.accessReviews.findItem(input.itemId);
    if (!item) throw new DomainError(Codes.REVIEW_NOT_FOUND, 'That access review item does not exist.');
    const { c, ws } = await this.campaignFor(item.campaignId, input.reviewer, input.teamId);
    await identities.refuseOwn(ws, { kind: 'permission.role', params: { email: item.email, role: item.role } }, input.reviewer, 'review');
    if (item.decision) throw decided(item);
    if (input.verdict === 'change' && (!input.role || input.role === item.role)) {
      throw new DomainError(Codes.PERMISSION_UNCHANGED, `Choose a role other than ${item.role} to change it, or Keep.`);
    }
    if (input.verdict === 'archive' && item.status === 'ARCHIVED') throw new DomainError(Codes.PERMISSION_UNCHANGED, `${item.email} is already archived; Keep records that.`);
    const change = input.verdict !== 'keep';
    const decision: ItemDecision = {
      verdict: input.verdict, role: input.verdict === 'change' ? input.role! : null, by: input.reviewer, at: clock.now(), how: 'item',
      action: null, requestId: change ? randomUUID() : null, carried: !change,
    };
    const won = await store.accessReviews.decideItem(item.id, item.version, decision);
    if (!won) throw decided((await store.accessReviews.findItem(item.id)) ?? item);
    await recordDecision(store, c, won);
    // The decision stands; a queue that cannot take the change now leaves it to the sweep.
    if (change) await carry(this.deps, ws, c, won).catch((err: unknown) => log.warn({ err, item: won.id }, 'could not queue an access review change; the sweep will'));
    return won;
  }

  /** Keep all on this page: the undecided items with seq in (afterSeq, lastSeq], but the reviewer's own. Returns how many were kept. */
  async keepPage(campaignId: string, afterSeq: number, lastSeq: number, reviewer: string, teamId: string): Promise<number> {
    const { store, clock } = this.deps;
    const { c, ws } = await this.campaignFor(campaignId, reviewer, teamId);
    const own = await this.own(ws, c, reviewer);
    const items = await store.accessReviews.listItems(c.id, { afterSeq, limit: Math.min(200, Math.max(0, lastSeq - afterSeq)), undecided: true });
    let kept = 0;
    for (const i of items) {
      if (i.seq > lastSeq || i.id === own?.id) continue;
      const won = await store.accessReviews.decideItem(i.id, i.version, {
        verdict: 'keep', role: null, by: reviewer, at: clock.now(), how: 'page', action: null, requestId: null, carried: true,
      });
      if (!won) continue; // decided by another reviewer meanwhile: theirs stands
      await recordDecision(store, c, won);
      kept++;
    }
    return kept;
  }

  /** A page of `reviewer`'s undecided items after `afterSeq` (their own left out), at most `size`. */
  async page(campaignId: string, reviewer: string, teamId: string, afterSeq: number, size: number): Promise<ReviewerPage> {
    const { store } = this.deps;
    const { c, ws } = await this.campaignFor(campaignId, reviewer, teamId);
    const own = await this.own(ws, c, reviewer);
    const read = await store.accessReviews.listItems(c.id, { afterSeq, limit: size + 2, undecided: true });
    const mine = read.filter((i) => i.id !== own?.id);
    const items = mine.slice(0, size);
    const counts = await store.accessReviews.countItems(c.id);
    return {
      campaign: c, workspace: ws, items, afterSeq,
      nextAfterSeq: mine.length > size ? items.at(-1)!.seq : null,
      left: Math.max(0, counts.undecided - (own && !own.decision ? 1 : 0)),
    };
  }

  /** For the Home tab: a first page of each open campaign of team `teamId` that `reviewer` reviews (at most `campaigns`). */
  async homePages(teamId: string, reviewer: string, size: number, campaigns = 3): Promise<ReviewerPage[]> {
    const pages: ReviewerPage[] = [];
    for (const c of await this.deps.store.accessReviews.listOpen(200)) {
      if (pages.length >= campaigns || !c.reviewers.includes(reviewer) || c.closing || !c.ready) continue;
      // Another team's campaign, or one Slack cannot say whose items to leave out: not shown.
      const page = await this.page(c.id, reviewer, teamId, 0, size).catch(() => null);
      if (page) pages.push(page);
    }
    return pages;
  }

  /** The reviewer's own item; refuses (safely) when Slack cannot say who they are. */
  private async own(ws: Workspace, c: Campaign, reviewer: string): Promise<CampaignItem | null> {
    const who = await this.deps.identities.emailOf(ws, reviewer);
    if (!who.known) {
      throw new DomainError(Codes.IDENTITY_UNAVAILABLE, `Keywarden could not establish who you are from Slack (${who.why}), so it cannot leave your own permission out of your review; try again in a minute.`);
    }
    return this.deps.store.accessReviews.findItemByEmail(c.id, who.email);
  }
}

const decided = (i: CampaignItem) =>
  new DomainError(Codes.REVIEW_DECIDED, `${i.email} was already reviewed${i.decision ? ` (${i.decision.verdict}${i.decision.by ? ` by ${i.decision.by.startsWith('U') || i.decision.by.startsWith('W') ? `<@${i.decision.by}>` : 'Keywarden'}` : ''})` : ''}.`);
