/** Access-review campaigns and their items (domain/access-review.ts). */
import type { Campaign, CampaignItem, ItemDecision } from '../../domain/access-review.js';

export type CampaignFields = Partial<Pick<Campaign, 'status' | 'openKey' | 'ready' | 'itemCount' | 'closedAt' | 'closedBy' | 'closing'>>;

/** How many items have each outcome; `undecided` have none yet. */
export interface ItemCounts { total: number; keep: number; change: number; archive: number; unreviewed: number; undecided: number }

export interface AccessReviewRepository {
  /**
   * Inserts the campaign unless one with its id exists, or its name already has an OPEN campaign
   * in the workspace (openKey is unique): false then, and nothing is written.
   */
  insertCampaign(c: Campaign): Promise<boolean>;
  findCampaign(id: string): Promise<Campaign | null>;
  /** The workspace's OPEN campaign of that name. */
  findOpen(workspaceId: string, name: string): Promise<Campaign | null>;
  /** Compare-and-set on the version. Null when another actor got there first. */
  updateCampaign(id: string, expectedVersion: number, fields: CampaignFields): Promise<Campaign | null>;
  /** Claims a once-only step of a campaign (no version bump): true for exactly one caller. */
  claimStep(id: string, step: string, at: Date): Promise<boolean>;
  releaseStep(id: string, step: string): Promise<void>;
  /** OPEN campaigns across workspaces, oldest first (the sweep's query, through an index). */
  listOpen(limit: number): Promise<Campaign[]>;
  /** A workspace's campaigns, newest first, started before `before` when given (paging). */
  listCampaigns(workspaceId: string, q: { before?: Date; limit: number }): Promise<Campaign[]>;
  /** Inserts items, skipping any whose id is stored already (a start resumed after a stop). */
  insertItems(items: CampaignItem[]): Promise<void>;
  findItem(id: string): Promise<CampaignItem | null>;
  /** A campaign's items with seq above `afterSeq`, in seq order; only undecided ones when asked. */
  listItems(campaignId: string, q: { afterSeq: number; limit: number; undecided?: boolean }): Promise<CampaignItem[]>;
  /** The campaign's item about this email (case-insensitive), if any. */
  findItemByEmail(campaignId: string, email: string): Promise<CampaignItem | null>;
  /** Sets the decision while the item is undecided and at `expectedVersion`; null when it lost. */
  decideItem(id: string, expectedVersion: number, decision: ItemDecision): Promise<CampaignItem | null>;
  /** The decision's request is stored and queued (metadata: no version bump). */
  markCarried(id: string): Promise<void>;
  /** Decided items whose request is not yet stored and queued, across campaigns (the sweep). */
  listUncarried(limit: number): Promise<CampaignItem[]>;
  countItems(campaignId: string): Promise<ItemCounts>;
}
