/**
 * Previous and Next under a `/permission list` page: acked at once, then the ephemeral list is
 * replaced, through the click's response_url, by the page the button names, with the same
 * filter. The button's value is parsed (zod) and the clicker checked again, as for the command:
 * the workspace must be of the clicker's Slack team and they an admin or approver of it, so a
 * forged value cannot list a workspace they may not see. A refusal is answered beside the list,
 * which stays as it was.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { Codes, DomainError } from '../../../domain/errors.js';
import type { SlackDeps } from '../../deps.js';
import { mayList, permissionListAnswer } from '../../permission-list.js';
import { decodeListPage } from '../../permission-pages.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { ListPageButton } from '../../schemas.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function permissionPageAction(deps: SlackDeps) {
  return async ({ ack, body, respond }: Args): Promise<void> => {
    await ack();
    const click = ListPageButton.safeParse(body);
    const page = click.success ? decodeListPage(click.data.value) : null;
    if (!click.success || !page) {
      refuseMalformed(deps.log, body, { action: 'permission list page' }, click.success ? [{ message: 'not a page of ours' }] : click.error.issues);
      await respond({ response_type: 'ephemeral', replace_original: false, text: 'That button did not name a page of the list; run `/permission list` again.' })
        .catch((err: unknown) => deps.log.warn({ err }, 'could not answer a button click'));
      return;
    }
    const { userId: user, teamId: team } = click.data;
    try {
      const ws = await deps.store.workspaces.findById(page.w);
      if (!ws || ws.slack.teamId !== team) {
        // A workspace of another Slack team can only be named by a forged button: a security refusal.
        throw new DomainError(ws ? Codes.OTHER_WORKSPACE : Codes.WORKSPACE_NOT_FOUND, 'That workspace is not (or no longer) configured for this Slack team.');
      }
      mayList(ws, user);
      const answer = await permissionListAnswer(deps, ws, { ...(page.q && { query: page.q }), ...(page.s && { status: page.s }) }, page.p);
      await respond({ response_type: 'ephemeral', replace_original: true, ...answer });
    } catch (err) {
      const text = errorText(err, deps.log, { user, team, action: 'permission list page', workspaceId: page.w });
      await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((e: unknown) => deps.log.warn({ err: e }, 'could not answer a button click'));
    }
  };
}
