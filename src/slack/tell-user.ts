/**
 * Answers a person after a form closed. A view_submission has no response_url of its own, so the
 * form carries the one of the command or click that opened it: the answer then lands where a
 * typed command's would, ephemerally. Those expire after 30 minutes; a form kept open longer is
 * answered by DM instead (chat:write, posting to the user id).
 */
import type { webApi } from '@slack/bolt';
import type { Log } from '../app/ports.js';
import { slackFetch } from './http-fetch.js';

export async function tellUser(
  deps: { log: Log },
  client: webApi.WebClient,
  to: { userId: string; responseUrl?: string },
  text: string,
): Promise<void> {
  if (to.responseUrl) {
    try {
      const res = await slackFetch(to.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) return;
      deps.log.info({ status: res.status, user: to.userId }, 'response_url refused the answer; sending it by DM');
    } catch (err) {
      deps.log.info({ err, user: to.userId }, 'could not answer through response_url; sending it by DM');
    }
  }
  await client.chat.postMessage({ channel: to.userId, text }).catch((err: unknown) =>
    deps.log.warn({ err, user: to.userId }, 'could not tell a user the result of a form'),
  );
}
