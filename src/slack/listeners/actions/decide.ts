/**
 * Approve / Reject buttons. Ack at once, then decide; the clicker is answered ephemerally, the
 * approval message itself is rewritten by the use case through the Notifier.
 */
import type { DecideResult } from '../../../app/requests.js';
import type { SlackDeps } from '../../deps.js';
import { RequestButton } from '../../schemas.js';
import { buttonAction } from './button-action.js';

export function decideAction(deps: SlackDeps, verdict: 'approve' | 'reject') {
  return buttonAction(deps, {
    action: verdict,
    schema: RequestButton,
    malformed: 'That button does not name a request Keywarden knows; nothing was changed.',
    context: (c) => ({ requestId: c.requestId }),
    run: async (c) => answer(await deps.requests.decide({ ...c, actor: c.userId, verdict })),
  });
}

/** What the clicker reads after a decision (also after a rejection submitted through its form). */
export function answer({ request: r, queued }: DecideResult): string {
  switch (r.status) {
    case 'PENDING':
      return 'Your approval is recorded. The policy needs another approver before this is applied.';
    case 'APPROVED':
      return queued
        ? 'Approved. The change is being applied; the message will show the result.'
        : 'Approved and recorded. The queue is unavailable right now, so it will be applied as soon as it is back.';
    case 'REJECTED':
      return 'Rejected. The requester has been told.';
    default:
      return `The request is now ${r.status.toLowerCase()}.`;
  }
}
