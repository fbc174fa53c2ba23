/**
 * The reject form submitted: the request becomes REJECTED with the reason, which the rewritten
 * approval message, the requester's DM and the subject's history then show. A missing reason, or
 * a request that can no longer be rejected by this approver (decided meanwhile, expired), is
 * answered in the form itself; otherwise the form closes and the approver is answered as a
 * Reject click was before: ephemerally under the message, or in the refreshed Home tab.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { checkDecision } from '../../../app/rejections.js';
import { isDomainError } from '../../../domain/errors.js';
import type { SlackDeps } from '../../deps.js';
import { RejectFields } from '../../forms/fields.js';
import { fields } from '../../forms/ids.js';
import { RejectMetadata } from '../../forms/metadata.js';
import { publishHome } from '../../home-publisher.js';
import { errorText } from '../../reply.js';
import { tellUser } from '../../tell-user.js';
import { answer } from '../actions/decide.js';
import { readSubmission } from './submission.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export function rejectSubmitted(deps: SlackDeps) {
  return async ({ ack, body, client }: Args): Promise<void> => {
    const read = await readSubmission(deps, { ack, body }, 'reject', RejectMetadata, RejectFields);
    if (!read) return;
    const { user, team, meta, fields: values } = read;
    const decision = { requestId: meta.requestId, actor: user, teamId: team, verdict: 'reject' as const };
    try {
      await checkDecision(deps, decision);
    } catch (err) {
      if (isDomainError(err)) {
        await ack({ response_action: 'errors', errors: { [fields.REASON]: errorText(err, deps.log, { user, team, action: 'reject', requestId: meta.requestId }) } });
        return;
      }
      throw err;
    }
    await ack();
    let text: string;
    try {
      text = answer(await deps.requests.decide({ ...decision, reason: values.reason, message: meta.message }));
    } catch (err) {
      // Lost a race after the check (another approver was quicker): said like any refusal.
      text = errorText(err, deps.log, { user, team, action: 'reject', requestId: meta.requestId });
    }
    if (meta.fromHome) {
      await publishHome(deps, { teamId: team, userId: user }, text).catch((err: unknown) =>
        deps.log.warn({ err, user }, 'could not refresh the App Home after a rejection'),
      );
    } else {
      await tellUser(deps, client, { userId: user, responseUrl: meta.responseUrl }, text);
    }
  };
}
