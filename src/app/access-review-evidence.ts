/**
 * What an auditor takes away: a workspace's campaigns, and each campaign's items with their
 * decisions, for an ADMIN technical user of the workspace (as the audit trail). Read a page at a
 * time through the store's indexes, never a whole campaign at once.
 */
import type { Campaign, CampaignItem } from '../domain/access-review.js';
import { Codes, DomainError } from '../domain/errors.js';
import { assertMayAudit } from './audit.js';
import type { Principal } from './access-tokens.js';
import type { ItemCounts, Store } from './ports.js';

export const EVIDENCE_PAGE_MAX = 500;

export interface CampaignEvidence extends Campaign {
  counts: ItemCounts;
}

export class AccessReviewEvidence {
  constructor(private readonly deps: { store: Store }) {}

  /** Campaigns newest first, started before `before` when given. */
  async campaigns(caller: Principal, workspaceId: string, before: Date | undefined, limit: number): Promise<CampaignEvidence[]> {
    assertMayAudit(caller, workspaceId);
    const list = await this.deps.store.accessReviews.listCampaigns(workspaceId, { ...(before && { before }), limit: clamp(limit) });
    return Promise.all(list.map(async (c) => ({ ...c, counts: await this.deps.store.accessReviews.countItems(c.id) })));
  }

  /** The campaign (of this workspace), with its counts. */
  async campaign(caller: Principal, workspaceId: string, campaignId: string): Promise<CampaignEvidence> {
    assertMayAudit(caller, workspaceId);
    const c = await this.deps.store.accessReviews.findCampaign(campaignId);
    if (!c || c.workspaceId !== workspaceId) throw new DomainError(Codes.REVIEW_NOT_FOUND, 'The workspace has no access review campaign with that id.');
    return { ...c, counts: await this.deps.store.accessReviews.countItems(c.id) };
  }

  /** A page of the campaign's items in order, after `afterSeq`. */
  async items(caller: Principal, c: Campaign, afterSeq: number, limit: number): Promise<CampaignItem[]> {
    assertMayAudit(caller, c.workspaceId);
    return this.deps.store.accessReviews.listItems(c.id, { afterSeq, limit: clamp(limit) });
  }
}

const clamp = (n: number) => Math.min(Math.max(1, Math.floor(n)), EVIDENCE_PAGE_MAX);
