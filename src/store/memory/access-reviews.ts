/** Access-review campaigns and items in memory; each compare-and-set runs with no await inside. */
import type { AccessReviewRepository, CampaignFields, ItemCounts } from '../../app/ports.js';
import type { Campaign, CampaignItem, ItemDecision } from '../../domain/access-review.js';
import { emailKey } from '../../domain/user.js';
import { copy, given, take } from './copy.js';

export class MemoryAccessReviews implements AccessReviewRepository {
  private readonly campaigns = new Map<string, Campaign>();
  /** Items by campaign, in seq order (they are inserted in it), and by id. */
  private readonly items = new Map<string, CampaignItem[]>();
  private readonly itemById = new Map<string, CampaignItem>();

  async insertCampaign(c: Campaign) {
    if (this.campaigns.has(c.id)) return false;
    if (c.openKey && [...this.campaigns.values()].some((o) => o.openKey === c.openKey)) return false;
    this.campaigns.set(c.id, copy(c));
    return true;
  }

  async findCampaign(id: string) {
    const c = this.campaigns.get(id);
    return c ? copy(c) : null;
  }

  async findOpen(workspaceId: string, name: string) {
    for (const c of this.campaigns.values()) if (c.workspaceId === workspaceId && c.name === name && c.status === 'OPEN') return copy(c);
    return null;
  }

  async updateCampaign(id: string, expectedVersion: number, fields: CampaignFields) {
    const c = this.campaigns.get(id);
    if (!c || c.version !== expectedVersion) return null;
    const next = { ...c, ...given(fields), version: c.version + 1 };
    this.campaigns.set(id, next);
    return copy(next);
  }

  async claimStep(id: string, step: string, at: Date) {
    const c = this.campaigns.get(id);
    if (!c || c.steps[step]) return false;
    c.steps[step] = new Date(at);
    return true;
  }

  async releaseStep(id: string, step: string) {
    delete this.campaigns.get(id)?.steps[step];
  }

  async listOpen(limit: number) {
    const open = [...this.campaigns.values()].filter((c) => c.status === 'OPEN').sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    return take(open, limit).map(copy);
  }

  async listCampaigns(workspaceId: string, q: { before?: Date; limit: number }) {
    const mine = [...this.campaigns.values()]
      .filter((c) => c.workspaceId === workspaceId && (!q.before || c.startedAt < q.before))
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
    return take(mine, q.limit).map(copy);
  }

  async insertItems(items: CampaignItem[]) {
    for (const i of items) {
      if (this.itemById.has(i.id)) continue;
      const stored = copy(i);
      this.itemById.set(i.id, stored);
      const list = this.items.get(i.campaignId) ?? [];
      list.push(stored);
      if (list.length > 1 && list[list.length - 2]!.seq > stored.seq) list.sort((a, b) => a.seq - b.seq);
      this.items.set(i.campaignId, list);
    }
  }

  async findItem(id: string) {
    const i = this.itemById.get(id);
    return i ? copy(i) : null;
  }

  async listItems(campaignId: string, q: { afterSeq: number; limit: number; undecided?: boolean }) {
    const out: CampaignItem[] = [];
    for (const i of this.items.get(campaignId) ?? []) {
      if (out.length >= q.limit) break;
      if (i.seq > q.afterSeq && (!q.undecided || i.decision === null)) out.push(copy(i));
    }
    return out;
  }

  async findItemByEmail(campaignId: string, email: string) {
    const key = emailKey(email);
    const i = (this.items.get(campaignId) ?? []).find((x) => emailKey(x.email) === key);
    return i ? copy(i) : null;
  }

  async decideItem(id: string, expectedVersion: number, decision: ItemDecision) {
    const i = this.itemById.get(id);
    if (!i || i.decision !== null || i.version !== expectedVersion) return null;
    i.decision = copy(decision);
    i.version += 1;
    return copy(i);
  }

  async markCarried(id: string) {
    const i = this.itemById.get(id);
    if (i?.decision) i.decision.carried = true;
  }

  async listUncarried(limit: number) {
    const out: CampaignItem[] = [];
    for (const i of this.itemById.values()) {
      if (out.length >= limit) break;
      if (i.decision && !i.decision.carried) out.push(copy(i));
    }
    return out;
  }

  async countItems(campaignId: string): Promise<ItemCounts> {
    const n: ItemCounts = { total: 0, keep: 0, change: 0, archive: 0, unreviewed: 0, undecided: 0 };
    for (const i of this.items.get(campaignId) ?? []) {
      n.total++;
      if (i.decision) n[i.decision.verdict]++;
      else n.undecided++;
    }
    return n;
  }
}
