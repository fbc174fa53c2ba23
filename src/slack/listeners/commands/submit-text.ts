import type { ChangeRequest } from '../../../domain/request.js';
import type { Workspace } from '../../../domain/workspace.js';
import { describeRequest, shortId } from '../../blocks/request.js';
import type { SlackDeps } from '../../deps.js';

/**
 * What the admin reads after asking for a change. When Slack is limiting the approvals channel,
 * the approval message waits its turn: the admin is told about when it will appear.
 */
export async function submitText(deps: Pick<SlackDeps, 'outbound' | 'log'>, ws: Workspace, r: ChangeRequest): Promise<string> {
  const where = `<#${ws.slack.approvalsChannel}>`;
  let when = '';
  if (!r.slack) {
    const eta = await deps.outbound.eta('chat.postMessage').catch((err: unknown) => {
      deps.log.debug({ err }, 'could not estimate when a queued approval message is posted');
      return null;
    });
    when = eta !== null && eta > 1 ? `; Slack is busy, so it will appear in ${where} in about ${eta} seconds` : '';
  }
  return `Request ${shortId(r.id)} (${describeRequest(r)}) was sent to ${where} for approval${when}. You will get a DM when it is decided.`;
}
