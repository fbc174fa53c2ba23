/** The history line of a grant closed because a later change set the role (it is never reverted). */
import type { AppliedChange } from '../domain/applied.js';
import type { Grant } from '../domain/grant.js';
import { grantSupersededId } from '../domain/grant.js';
import type { Actor, SubjectType } from '../domain/history.js';
import type { Store } from './ports.js';

/** The superseded line of the grant a remembered change closed, if it closed one (idempotent). */
export async function recordSupersededBy(
  store: Store, s: { type: SubjectType; id: string; label: string; workspaceId: string }, made: AppliedChange, actor: Actor,
): Promise<void> {
  if (made.superseded) await recordSuperseded(store, s, made.superseded, actor, made.id, made.at);
}

export function recordSuperseded(
  store: Store, s: { type: SubjectType; id: string; label: string; workspaceId: string }, old: Grant, actor: Actor, by: string, at: Date,
): Promise<void> {
  return store.history.append({
    id: grantSupersededId(old.requestId), workspaceId: s.workspaceId, subject: { type: s.type, id: s.id, label: s.label },
    action: `${s.type === 'permission' ? 'permission' : 'techuser'}.grant_superseded`, actor, requestId: old.requestId,
    approvers: [], before: { role: old.role, until: old.until }, after: null, reason: `superseded by change ${by}`, at,
  });
}
