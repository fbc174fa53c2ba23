/** app_home_opened: publish the Home tab for whoever opened it (Bolt acks events itself). */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { publishHome } from '../../home-publisher.js';
import { AppHomeOpened } from '../../view-schemas.js';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

export function appHomeOpened(deps: SlackDeps) {
  return async ({ body }: Args): Promise<void> => {
    const opened = AppHomeOpened.safeParse(body);
    if (!opened.success) {
      deps.log.warn({ issues: opened.error.issues.slice(0, 3) }, 'refused a malformed app_home_opened event');
      return;
    }
    // The Messages tab fires the same event; only the Home tab is ours to draw.
    if (opened.data.tab !== 'home') return;
    try {
      await publishHome(deps, opened.data);
    } catch (err) {
      deps.log.error({ err, user: opened.data.userId }, 'could not publish the App Home');
    }
  };
}
