/**
 * The Extend form submitted: an ordinary approval request for more time on the grant, in the
 * clicker's name, exactly as the approvers see any other. A grant that ended meanwhile, or an
 * extension past the workspace's maximum, is answered in the form; otherwise the form closes and
 * the clicker reads what the command would have said.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { activeGrant, extensionRequest } from '../../../app/grant-extensions.js';
import { isDomainError } from '../../../domain/errors.js';
import type { NewRequest } from '../../../domain/request.js';
import type { Workspace } from '../../../domain/workspace.js';
import type { SlackDeps } from '../../deps.js';
import { fieldOf, GrantExtendFields } from '../../forms/fields.js';
import { fields } from '../../forms/ids.js';
import { GrantExtendMetadata } from '../../forms/metadata.js';
import { publishHome } from '../../home-publisher.js';
import { errorText } from '../../reply.js';
import { tellUser } from '../../tell-user.js';
import { submitText } from '../commands/submit-text.js';
import { readSubmission } from './submission.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export function grantExtendSubmitted(deps: SlackDeps) {
  return async ({ ack, body, client }: Args): Promise<void> => {
    const read = await readSubmission(deps, { ack, body }, 'grant extend', GrantExtendMetadata, GrantExtendFields);
    if (!read) return;
    const { user, team, meta, fields: values } = read;
    const context = { user, team, form: 'grant extend', grantId: meta.grantId };
    let request: NewRequest;
    let ws: Workspace;
    try {
      const g = await activeGrant(deps, meta.grantId, team);
      ws = g.workspace;
      request = extensionRequest(g, values.duration!);
      await deps.requests.validate({ workspace: ws, requester: user, request });
    } catch (err) {
      if (isDomainError(err)) {
        errorText(err, deps.log, context); // logs the refusal; a field error is plain text, shown as it is
        await ack({ response_action: 'errors', errors: { [fieldOf(err, fields.DURATION)]: err.message } });
      } else {
        // The store failing, say: the form closes and the clicker reads why, as after a command.
        await ack();
        await tellUser(deps, client, { userId: user, responseUrl: meta.responseUrl }, errorText(err, deps.log, context));
      }
      return;
    }
    await ack();
    let text: string;
    try {
      text = await submitText(deps, ws, await deps.requests.submit({ workspace: ws, requester: user, request, reason: values.reason }));
    } catch (err) {
      text = errorText(err, deps.log, context);
    }
    if (meta.fromHome) {
      await publishHome(deps, { teamId: team, userId: user }, text).catch((err: unknown) => deps.log.warn({ err, user }, 'could not refresh the App Home'));
    } else {
      await tellUser(deps, client, { userId: user, responseUrl: meta.responseUrl }, text);
    }
  };
}
