/**
 * An access review's changes are carried out like every change: as a request, applied by the
 * apply job through the same idempotent path, but made by the review rather than asked for. The
 * item's decision names the request's id (decided in the same compare-and-set), and the request is
 * built from the item alone, so storing it again after a stop finds the one already there, and
 * queueing it twice applies it once. The reviewer's decision is the approval; the due date's
 * action is Keywarden's. Before it is applied, the reviewer must still be one of the campaign's.
 */
import type { Campaign, CampaignItem } from '../domain/access-review.js';
import type { ChangeRequest } from '../domain/request.js';
import { isSystemRequester } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Policies } from './policies.js';
import type { ApplyQueue, Log, Store } from './ports.js';

const HOUR = 3600_000;

/** The request of a decided item's change (Change role, Archive, or the unreviewed action). */
export function changeRequest(ws: Workspace, c: Campaign, i: CampaignItem): ChangeRequest {
  const d = i.decision!;
  const base = {
    id: d.requestId!, workspaceId: ws.id, requester: d.by, reason: `Access review ${c.name}`, status: 'APPROVED' as const,
    approvals: isSystemRequester(d.by) ? [] : [{ by: d.by, at: d.at }], decidedBy: d.by, decidedAt: d.at, createdAt: d.at,
    expiresAt: new Date(d.at.getTime() + ws.policy.requestTtlHours * HOUR), slack: null, outcome: null, appliedAt: null,
    notifiedAt: null, remindAt: null, version: 0, source: { type: 'accessReview' as const, campaignId: c.id, itemId: i.id, name: c.name },
  };
  return d.verdict === 'archive' || d.action === 'archive'
    ? { ...base, kind: 'permission.archive', params: { email: i.email } }
    : { ...base, kind: 'permission.role', params: { email: i.email, role: d.role! } };
}

/** Stores (once) and queues the request of a decided item, then marks the item carried. */
export async function carry(deps: { store: Store; queue: ApplyQueue; log: Log }, ws: Workspace, c: Campaign, i: CampaignItem): Promise<void> {
  const { store } = deps;
  const d = i.decision;
  if (!d?.requestId) return;
  if (!(await store.requests.findById(d.requestId))) {
    await store.requests.insert(changeRequest(ws, c, i)).catch(async (err: unknown) => {
      // Another process (the sweep, a second click's retry) stored it first: that is the one.
      if (!(await store.requests.findById(d.requestId!))) throw err;
    });
  }
  await deps.queue.enqueue(d.requestId);
  await store.accessReviews.markCarried(i.id);
}

/**
 * Whether a review's change may still be made: the reviewer is still one of the campaign's (as the
 * workspace's policy names them now; user groups read again). Null when it may; else why not.
 * Throws a plain error (the job retries) when Slack cannot say who is in a group.
 */
export async function reviewAuthority(deps: { store: Store; policies: Policies }, r: ChangeRequest, ws: Workspace): Promise<string | null> {
  if (!r.source) return null;
  const c = await deps.store.accessReviews.findCampaign(r.source.campaignId);
  if (!c) return `The access review behind request ${r.id} no longer exists, so the change was not carried out.`;
  if (isSystemRequester(r.requester)) return null; // the due date's action, as the campaign defined it
  const def = ws.policy.accessReviews?.find((d) => d.name === c.name);
  const named = def ? def.reviewers : c.definition.reviewers;
  const people = await deps.policies.people(named.length ? named : ws.approvers, ws).catch((err: unknown) => {
    throw new Error(`could not check who reviews ${c.name}`, { cause: err });
  });
  return people.has(r.requester) ? null : `<@${r.requester}> no longer reviews ${c.name}, so the change was not carried out.`;
}
