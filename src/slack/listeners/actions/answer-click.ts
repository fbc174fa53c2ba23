/**
 * Answers whoever clicked a request button. A click on a message has a response_url and gets an
 * ephemeral answer there; a click in the App Home has none, so its answer is the Home tab
 * published again, with the answer on top and the request in its new state.
 */
import type { RespondFn, webApi } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { publishHome } from '../../home-publisher.js';
import { ButtonOrigin } from '../../view-schemas.js';

export async function answerClick(
  deps: SlackDeps,
  click: { body: unknown; respond?: RespondFn; client: webApi.WebClient },
  who: { userId: string; teamId: string } | null,
  text: string,
): Promise<void> {
  const origin = ButtonOrigin.safeParse(click.body);
  try {
    if (origin.success && !origin.data.responseUrl && origin.data.fromHome && who) {
      await publishHome(deps, who, text);
    } else if (typeof click.respond === 'function') {
      await click.respond({ response_type: 'ephemeral', replace_original: false, text });
    } else {
      deps.log.warn({ user: who?.userId }, 'a button click came with no way to answer it');
    }
  } catch (err) {
    deps.log.warn({ err }, 'could not answer a button click');
  }
}
