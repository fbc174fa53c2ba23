/**
 * Publishes a person's App Home: on opening it, and after they decided a request from it (where
 * there is no response_url to answer through, the refreshed tab is the answer).
 */
import type { webApi } from '@slack/bolt';
import { HomeService } from '../app/home.js';
import { homeView } from './blocks/home.js';
import type { SlackDeps } from './deps.js';

export async function publishHome(
  deps: Pick<SlackDeps, 'store' | 'clock'>,
  client: webApi.WebClient,
  who: { teamId: string; userId: string },
  notice?: string,
): Promise<void> {
  const home = await new HomeService(deps).forUser(who.teamId, who.userId);
  await client.views.publish({ user_id: who.userId, view: homeView(home, who.userId, deps.clock.now(), notice) });
}
