/**
 * Extend, under the DM about an applied grant: opens a small form asking for how much longer
 * (only what stays within the workspace's maximum from now). Whether the clicker may ask at all
 * and whether the grant is still active are checked first, so nobody fills in a form only to be
 * refused. The form's submission is an ordinary approval request (views/grant-extend.ts).
 */
import { activeGrant, extensionRoom } from '../../../app/grant-extensions.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import { maxGrantHours } from '../../../domain/grant.js';
import { durationWords } from '../../../domain/durations.js';
import { maxBreakGlassHours } from '../../../domain/policy.js';
import { isAdmin } from '../../../domain/workspace.js';
import { DURATION_CHOICES } from '../../forms/fields.js';
import { grantExtendForm } from '../../blocks/forms.js';
import type { SlackDeps } from '../../deps.js';
import { RequestButton } from '../../schemas.js';
import { formButtonAction } from './button-action.js';

export function grantExtendAction(deps: SlackDeps) {
  return formButtonAction(deps, {
    action: 'grant extend',
    schema: RequestButton,
    malformed: 'That button does not name a grant Keywarden knows; nothing was requested.',
    context: (c) => ({ grantId: c.requestId }),
    async open({ userId, teamId, requestId: grantId }, { triggerId, responseUrl, fromHome }, client) {
      const g = await activeGrant(deps, grantId, teamId);
      if (!isAdmin(g.workspace, userId)) {
        throw new DomainError(Codes.NOT_ADMIN, `Only admins of workspace ${g.workspace.name} can request changes.`);
      }
      const breakGlass = Boolean(g.request.breakGlass);
      const room = extensionRoom(g.workspace, g.grant, deps.clock.now(), breakGlass);
      if (room < DURATION_CHOICES[0]) {
        if (breakGlass) {
          const max = maxBreakGlassHours(g.workspace.policy);
          throw new DomainError(Codes.GRANT_TOO_LONG, `A break-glass grant lasts at most ${max}h from its start, extensions included, and this one already runs to within ${durationWords(DURATION_CHOICES[0])} of that; for longer, ask for a grant through approval.`);
        }
        const max = maxGrantHours(g.workspace.policy);
        throw new DomainError(Codes.GRANT_TOO_LONG, `In workspace ${g.workspace.name}, a grant may last at most ${durationWords(max * 60)} from now, and this one already runs to within an hour of that; it cannot be extended now.`);
      }
      await client.views.open({ trigger_id: triggerId, view: grantExtendForm(g.label, g.grant, room, { grantId, responseUrl, fromHome }) });
    },
  });
}
