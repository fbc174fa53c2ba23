/**
 * Reject (on an approval message or in the App Home): asks the approver why, in a form. Whether
 * they may decide at all is checked first, so nobody types a reason only to be refused; the
 * refusal is answered as any other click's. The form's submission decides (views/reject.ts).
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkDecision } from '../../../app/rejections.js';
import { rejectForm } from '../../blocks/forms.js';
import type { SlackDeps } from '../../deps.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { RequestButton } from '../../schemas.js';
import { ButtonOrigin } from '../../view-schemas.js';
import { answerClick } from './answer-click.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function rejectAction(deps: SlackDeps) {
  return async ({ ack, body, respond, client }: Args): Promise<void> => {
    // Ack at once: the trigger_id that opens the form is good for 3 seconds from the click.
    await ack();
    const click = RequestButton.safeParse(body);
    const origin = ButtonOrigin.safeParse(body);
    if (!click.success || !origin.success) {
      refuseMalformed(deps.log, body, { action: 'reject' }, click.success ? origin.error!.issues : click.error.issues);
      await answerClick(deps, { body, respond, client }, null, 'That button does not name a request Keywarden knows; nothing was changed.');
      return;
    }
    const { userId, teamId, requestId, message } = click.data;
    try {
      const { request } = await checkDecision(deps, { requestId, actor: userId, teamId, verdict: 'reject' });
      const { triggerId, responseUrl, fromHome } = origin.data;
      await client.views.open({ trigger_id: triggerId, view: rejectForm(request, { requestId, responseUrl, fromHome, message }) });
    } catch (err) {
      const text = errorText(err, deps.log, { user: userId, team: teamId, action: 'reject', requestId });
      await answerClick(deps, { body, respond, client }, click.data, text);
    }
  };
}
