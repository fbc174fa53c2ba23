/**
 * The history lines of access reviews, in the workspace's chain like every other line, so
 * `npm run audit:verify` covers them: a campaign's start and end (subject `accessReview`), and each
 * decision as a line of the permission it is about, naming the campaign and the reviewer.
 * Ids are derived from what happened, so writing one twice leaves one line.
 */
import type { Campaign, CampaignItem } from '../domain/access-review.js';
import type { Actor } from '../domain/history.js';
import { isSystemRequester } from '../domain/request.js';
import type { Store } from './ports.js';
import type { ItemCounts as Counts } from './ports/access-review-store.js';

export const actorOf = (who: string): Actor => (isSystemRequester(who) ? { type: 'system' } : { type: 'slack', id: who });

export function recordStart(store: Store, c: Campaign, at: Date): Promise<void> {
  return store.history.append({
    id: `${c.id}:started`, workspaceId: c.workspaceId, subject: { type: 'accessReview', id: c.id, label: c.name },
    action: 'accessReview.started', actor: actorOf(c.startedBy), requestId: null, approvers: [], before: null,
    after: {
      items: c.itemCount, reviewers: c.reviewers, dueAt: c.dueAt.toISOString(), roles: c.definition.roles ?? null,
      statuses: c.definition.statuses, unreviewed: c.definition.unreviewed,
    },
    at,
  });
}

export function recordEnd(store: Store, c: Campaign, counts: Counts, at: Date): Promise<void> {
  const stopped = c.closing?.status === 'STOPPED';
  return store.history.append({
    id: `${c.id}:closed`, workspaceId: c.workspaceId, subject: { type: 'accessReview', id: c.id, label: c.name },
    action: stopped ? 'accessReview.stopped' : 'accessReview.closed', actor: actorOf(c.closing?.by ?? 'keywarden'),
    requestId: null, approvers: [], before: null, after: { ...counts }, at,
  });
}

/** The decision on one item: kept, changed (to which role), archived, or left unreviewed (and what was done). */
export function recordDecision(store: Store, c: Campaign, i: CampaignItem): Promise<void> {
  const d = i.decision!;
  const after = d.verdict === 'archive' ? { status: 'ARCHIVED' } : d.role ? { role: d.role } : null;
  return store.history.append({
    id: `${i.id}:decided`, workspaceId: c.workspaceId, subject: { type: 'permission', id: i.permissionId, label: i.email },
    action: `accessReview.${d.verdict}`, actor: actorOf(d.by), requestId: d.requestId, approvers: [],
    before: { role: i.role, status: i.status }, after,
    reason: `Access review ${c.name} (campaign ${c.id})${d.how === 'page' ? ', kept with the rest of its page' : ''}${d.action ? `, unreviewed: ${d.action}` : ''}`,
    at: d.at,
  });
}


