/**
 * Approve / Reject buttons. Ack at once, then decide; the clicker is answered ephemerally, the
 * approval message itself is rewritten by the use case through the Notifier.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { DecideResult } from '../../../app/requests.js';
import type { SlackDeps } from '../../deps.js';
import { errorText } from '../../reply.js';
import { RequestButton } from '../../schemas.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function decideAction(deps: SlackDeps, verdict: 'approve' | 'reject') {
  return async ({ ack, body, respond }: Args): Promise<void> => {
    await ack();
    const click = RequestButton.safeParse(body);
    let text: string;
    if (!click.success) {
      deps.log.warn({ issues: click.error.issues.slice(0, 3) }, 'refused a malformed request button payload');
      text = 'That button does not name a request Keywarden knows; nothing was changed.';
    } else {
      try {
        const result = await deps.requests.decide({ ...click.data, actor: click.data.userId, verdict });
        text = answer(result);
      } catch (err) {
        deps.log.info({ user: click.data.userId, requestId: click.data.requestId, verdict, err }, 'refused a decision');
        text = errorText(err, deps.log, { action: verdict, user: click.data.userId });
      }
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: unknown) =>
      deps.log.warn({ err }, 'could not answer a button click'),
    );
  };
}

function answer({ request: r, queued }: DecideResult): string {
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
