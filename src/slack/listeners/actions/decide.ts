/**
 * Approve / Reject buttons. Ack at once, then decide; the clicker is answered ephemerally, the
 * approval message itself is rewritten by the use case through the Notifier.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { DecideResult } from '../../../app/requests.js';
import type { SlackDeps } from '../../deps.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { RequestButton } from '../../schemas.js';
import { answerClick } from './answer-click.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function decideAction(deps: SlackDeps, verdict: 'approve' | 'reject') {
  return async ({ ack, body, respond, client }: Args): Promise<void> => {
    await ack();
    const click = RequestButton.safeParse(body);
    let text: string;
    if (!click.success) {
      refuseMalformed(deps.log, body, { action: verdict }, click.error.issues);
      text = 'That button does not name a request Keywarden knows; nothing was changed.';
    } else {
      try {
        const result = await deps.requests.decide({ ...click.data, actor: click.data.userId, verdict });
        text = answer(result);
      } catch (err) {
        text = errorText(err, deps.log, { user: click.data.userId, team: click.data.teamId, action: verdict, requestId: click.data.requestId });
      }
    }
    // A message click is answered ephemerally; a Home tab click by the refreshed Home tab.
    await answerClick(deps, { body, respond, client }, click.success ? click.data : null, text);
  };
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
