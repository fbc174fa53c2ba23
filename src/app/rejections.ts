/**
 * Rejections: the check a Reject button makes before it asks for a reason, and the history line a
 * rejection leaves. The reason itself is kept on the request as its `outcome` (the field that says
 * why a request ended the way it did, as it does for FAILED, EXPIRED and CANCELLED), so the
 * rewritten approval message and the requester's DM show it; the history line makes it part of
 * the subject's changelog (`/techuser history`).
 */
import { Codes, DomainError } from '../domain/errors.js';
import type { HistoryEntry } from '../domain/history.js';
import type { ChangeRequest } from '../domain/request.js';
import { decide } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Store } from './ports.js';
import type { Policies } from './policies.js';

/** The longest rejection reason kept (the same bound as a requester's reason). */
export const MAX_REJECTION_REASON = 500;

/**
 * Would `actor` be allowed to decide this request now? Reads only; throws the DomainError that
 * RequestService.decide would throw (not an approver, own request, already decided, expired, other
 * team), so a Reject click can be refused before a form is opened and a reason typed in vain.
 */
export async function checkDecision(
  deps: { store: Store; clock: Clock; requests: { policies: Policies } },
  input: { requestId: string; actor: string; teamId: string; verdict: 'approve' | 'reject' },
): Promise<{ request: ChangeRequest; workspace: Workspace }> {
  const r = await deps.store.requests.findById(input.requestId);
  if (!r) throw new DomainError(Codes.REQUEST_NOT_FOUND, 'That request does not exist.');
  const ws = await deps.store.workspaces.findById(r.workspaceId);
  if (!ws || ws.slack.teamId !== input.teamId) {
    throw new DomainError(Codes.WRONG_TEAM, 'That request does not belong to this Slack team.');
  }
  try {
    decide(r, await deps.requests.policies.deciders(ws, r, deps.clock.now()), input.actor, input.verdict, deps.clock.now());
  } catch (err) {
    if (err instanceof DomainError && err.code === Codes.REQUEST_NOT_PENDING && r.decidedBy) {
      throw new DomainError(err.code, `${err.message.replace(/\.$/, '')} (decided by <@${r.decidedBy}>).`);
    }
    throw err;
  }
  return { request: r, workspace: ws };
}

/**
 * The history line of a rejected request, written once (its id derives from the request). Its
 * subject is the permission or technical user the request was about; a request for something that
 * does not exist yet (an invite, a create) is recorded under the request id, which for a create is
 * the id the technical user would have had.
 */
export async function recordRejection(store: Store, r: ChangeRequest, at: Date): Promise<void> {
  const entry: HistoryEntry = {
    id: `${r.id}:rejected`, workspaceId: r.workspaceId, subject: await subjectOf(store, r),
    action: `${r.kind}_rejected`, actor: { type: 'slack', id: r.decidedBy ?? 'unknown' }, requestId: r.id,
    approvers: [], before: null, after: null, reason: r.outcome, at,
  };
  await store.history.append(entry);
}

async function subjectOf(store: Store, r: ChangeRequest): Promise<HistoryEntry['subject']> {
  if (r.kind.startsWith('techuser.') && 'userName' in r.params) {
    const tu = await store.technicalUsers.findByName(r.workspaceId, r.params.userName);
    return { type: 'technicalUser', id: tu?.id ?? r.id, label: r.params.userName };
  }
  const email = 'email' in r.params ? r.params.email : '';
  const user = email ? await store.users.findByEmail(email) : null;
  const p = user ? await store.permissions.find(r.workspaceId, user.id) : null;
  return { type: 'permission', id: p?.id ?? r.id, label: email };
}
