/**
 * Extend, under the DM about an applied grant: opens a small form asking for how much longer
 * (only what stays within the workspace's maximum from now). Whether the clicker may ask at all
 * and whether the grant is still active are checked first, so nobody fills in a form only to be
 * refused. The form's submission is an ordinary approval request (views/grant-extend.ts).
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { activeGrant, extensionRoom } from '../../../app/grant-extensions.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import { formatDuration, maxGrantHours } from '../../../domain/grant.js';
import { isAdmin } from '../../../domain/workspace.js';
import { DURATION_CHOICES } from '../../forms/fields.js';
import { grantExtendForm } from '../../blocks/forms.js';
import type { SlackDeps } from '../../deps.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { RequestButton } from '../../schemas.js';
import { ButtonOrigin } from '../../view-schemas.js';
import { answerClick } from './answer-click.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function grantExtendAction(deps: SlackDeps) {
  return async ({ ack, body, respond, client }: Args): Promise<void> => {
    // Ack at once: the trigger_id that opens the form is good for 3 seconds from the click.
    await ack();
    const click = RequestButton.safeParse(body);
    const origin = ButtonOrigin.safeParse(body);
    if (!click.success || !origin.success) {
      refuseMalformed(deps.log, body, { action: 'grant extend' }, click.success ? origin.error!.issues : click.error.issues);
      await answerClick(deps, { body, respond, client }, null, 'That button does not name a grant Keywarden knows; nothing was requested.');
      return;
    }
    const { userId, teamId, requestId: grantId } = click.data;
    try {
      const g = await activeGrant(deps, grantId, teamId);
      if (!isAdmin(g.workspace, userId)) {
        throw new DomainError(Codes.NOT_ADMIN, `Only admins of workspace ${g.workspace.name} can request changes.`);
      }
      const room = extensionRoom(g.workspace, g.grant, deps.clock.now());
      if (room < DURATION_CHOICES[0]) {
        const max = maxGrantHours(g.workspace.policy);
        throw new DomainError(Codes.GRANT_TOO_LONG, `In workspace ${g.workspace.name}, a grant may last at most ${formatDuration(max * 60)} from now, and this one already runs to within an hour of that; it cannot be extended now.`);
      }
      const { triggerId, responseUrl, fromHome } = origin.data;
      await client.views.open({ trigger_id: triggerId, view: grantExtendForm(g.label, g.grant, room, { grantId, responseUrl, fromHome }) });
    } catch (err) {
      const text = errorText(err, deps.log, { user: userId, team: teamId, action: 'grant extend', grantId });
      await answerClick(deps, { body, respond, client }, click.data, text);
    }
  };
}
