/**
 * Reveal token: shows a new API token once, to its requester, as an ephemeral message (which
 * Slack does not keep), then rewrites the DM so the button is gone. Anyone else, and any second
 * click, gets nothing. If the token cannot be shown, the claim is released for another try.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { revealedBlocks } from '../../blocks/techusers.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { RevealButton } from '../../schemas.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function revealAction(deps: SlackDeps) {
  return async ({ ack, body, respond, client }: Args): Promise<void> => {
    await ack();
    const click = RevealButton.safeParse(body);
    if (!click.success) {
      refuseMalformed(deps.log, body, { action: 'reveal' }, click.error.issues);
      await respond({ response_type: 'ephemeral', replace_original: false, text: 'That button does not name a token Keywarden knows.' }).catch(() => {});
      return;
    }
    const { userId, requestId, channelId, messageTs } = click.data;
    let reveal;
    try {
      reveal = await deps.technicalUsers.reveal(requestId, userId);
    } catch (err) {
      const text = errorText(err, deps.log, { user: userId, team: body.team?.id ?? body.user.team_id, action: 'reveal', requestId });
      await respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => {});
      return;
    }
    try {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: `API token for *${reveal.technicalUser.userName}* (shown once; store it in your secret manager now):\n\`${reveal.token}\``,
      });
    } catch (err) {
      deps.log.error({ err, requestId }, 'could not show a token; the owner can click again');
      await reveal.failed().catch((e: unknown) => deps.log.error({ err: e, requestId }, 'could not release a reveal that was not shown'));
      return;
    }
    await reveal.done();
    if (channelId && messageTs) {
      await client.chat
        .update({ channel: channelId, ts: messageTs, text: 'Token revealed', blocks: revealedBlocks(reveal.technicalUser.userName, deps.clock.now()) })
        .catch((err: unknown) => deps.log.warn({ err, requestId }, 'could not rewrite the reveal message'));
    }
  };
}
