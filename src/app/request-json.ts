/**
 * A request as Keywarden shows it outside Slack (the API, webhooks): what, who, where it stands,
 * who may decide, and how it ended. Dates as ISO 8601 (UTC); nothing secret (requests hold none).
 */
import { isSystemRequester, type ChangeRequest } from '../domain/request.js';
import type { DecidersView } from './api-requests.js';

/** A request as the API shows it: what, who, where it stands, who may decide, and how it ended. */
export function requestJson(r: ChangeRequest, deciders?: DecidersView) {
  return {
    id: r.id,
    workspaceId: r.workspaceId,
    kind: r.kind,
    params: r.params,
    status: r.status,
    requester: isSystemRequester(r.requester) ? null : r.requester,
    origin: r.origin ?? { via: 'slack' },
    reason: r.reason,
    breakGlass: r.breakGlass !== undefined,
    ...(deciders && { deciders }),
    approvals: r.approvals.map((a) => ({ by: a.by, at: a.at.toISOString() })),
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    appliedAt: r.appliedAt?.toISOString() ?? null,
    outcome: r.outcome,
  };
}

