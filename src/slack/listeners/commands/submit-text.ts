import type { ChangeRequest } from '../../../domain/request.js';
import type { Workspace } from '../../../domain/workspace.js';
import { describeRequest, shortId } from '../../blocks/request.js';
import { clipMrkdwn } from '../../blocks/typed.js';
import type { SlackDeps } from '../../deps.js';

/**
 * What the admin reads after asking for a change. A change the policy lets through without
 * approval says so. When Slack is limiting the approvals channel, the approval message waits its
 * turn: the admin is told about when it will appear.
 */
export async function submitText(deps: Pick<SlackDeps, 'outbound' | 'log'>, ws: Workspace, r: ChangeRequest): Promise<string> {
  const where = `<#${ws.slack.approvalsChannel}>`;
  // Clipped after escaping: 2,000 typed characters can be 48,000 of mrkdwn, past a message's 40,000.
  const what = `Request ${shortId(r.id)} (${clipMrkdwn(describeRequest(r), 2800)})`;
  if (r.breakGlass) {
    return `:rotating_light: Break-glass: ${what} is being applied now, without approval. It is announced in ${where} and the notification channels, and stays awaiting review until an approver clicks Reviewed or Revert now.`;
  }
  if (r.status !== 'PENDING') {
    return `${what} needs no approval under the workspace's policy: it is being applied now, and announced in ${where}. You will get a DM with the result.`;
  }
  let when = '';
  if (!r.slack) {
    const eta = await deps.outbound.eta({ method: 'chat.postMessage', teamId: ws.slack.teamId, channel: ws.slack.approvalsChannel }).catch((err: unknown) => {
      deps.log.debug({ err }, 'could not estimate when a queued approval message is posted');
      return null;
    });
    when = eta !== null && eta >= 1 ? `; Slack is busy, so it will appear in ${where} in about ${eta} second${eta === 1 ? '' : 's'}` : '';
  }
  return `${what} was sent to ${where} for approval${when}. You will get a DM when it is decided.`;
}
