/**
 * Publishes a person's App Home: on opening it, and after they decided a request from it (where
 * there is no response_url to answer through, the refreshed tab is the answer). Through the
 * outbound path: views.publish has its own limit (Tier 4), and while Slack is limiting it the
 * publishes for one person are coalesced, rendered when sent, so the latest view wins.
 */
import { clipMrkdwn } from './blocks/typed.js';
import type { SlackDeps } from './deps.js';
import { slackContext } from './installations/context.js';

export async function publishHome(
  deps: Pick<SlackDeps, 'outbound'>,
  who: { teamId: string; userId: string },
  notice?: string,
): Promise<void> {
  // The organisation of the request being answered, as Slack named it (an org-wide install's token sends it).
  const enterpriseId = slackContext.current()?.enterpriseId;
  await deps.outbound.send({ kind: 'home', teamId: who.teamId, ...(enterpriseId && { enterpriseId }), userId: who.userId, ...(notice && { notice: clipMrkdwn(notice, 3000) }) });
}
