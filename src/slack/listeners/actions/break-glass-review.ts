/**
 * Reviewed / Revert now under an applied break-glass change. Ack at once, then review; the
 * clicker is answered ephemerally, the message itself is rewritten by the use case.
 */
import type { SlackDeps } from '../../deps.js';
import { RequestButton } from '../../schemas.js';
import { buttonAction } from './button-action.js';

export function breakGlassReviewAction(deps: SlackDeps, verdict: 'reviewed' | 'reverted') {
  return buttonAction(deps, {
    action: `break-glass ${verdict}`,
    schema: RequestButton,
    malformed: 'That button does not name a request Keywarden knows; nothing was changed.',
    context: (c) => ({ requestId: c.requestId }),
    run: async (c) => {
      const { ended } = await deps.breakGlass.review({ requestId: c.requestId, actor: c.userId, teamId: c.teamId, verdict });
      if (verdict === 'reviewed') return 'Reviewed: the break-glass change stays until its time is up.';
      return ended ? 'Reverted: the grant has ended and the role is back to what it was.' : 'Recorded as reverted; the grant had already ended.';
    },
  });
}
