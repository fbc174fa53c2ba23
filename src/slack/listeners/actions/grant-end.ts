/**
 * End now, under the DM about an applied grant (and beside a grant in the App Home): the grant's
 * requester or any approver of its workspace ends it at once, without approval. The requester
 * and the approval thread are told by GrantService; the clicker is answered here.
 */
import { grantRequest } from '../../../app/grant-extensions.js';
import { typed } from '../../blocks/typed.js';
import type { SlackDeps } from '../../deps.js';
import { RequestButton } from '../../schemas.js';
import { buttonAction } from './button-action.js';

export function grantEndAction(deps: SlackDeps) {
  return buttonAction(deps, {
    action: 'grant end now',
    schema: RequestButton,
    malformed: 'That button does not name a grant Keywarden knows; nothing was changed.',
    context: (c) => ({ grantId: c.requestId }),
    run: async (c) => {
      const { request } = await grantRequest(deps, c.requestId, c.teamId); // a grant of this Slack team
      const { label, revertTo } = await deps.grants.endNow(c.requestId, c.userId);
      return `Ended: ${typed(label)} is ${revertTo} again.${c.userId === request.requester ? '' : ' The requester has been told.'}`;
    },
  });
}
