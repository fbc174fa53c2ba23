/**
 * The buttons of a review question (blocks/reviews.ts): Keep confirms the technical user is still
 * needed (the question is then rewritten without its buttons), Delete opens an ordinary delete
 * request in the clicker's name, Transfer opens the owner form.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { Codes, DomainError } from '../../../domain/errors.js';
import { reviewKeptText, techuserOwnerForm } from '../../blocks/reviews.js';
import type { SlackDeps } from '../../deps.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { TokenButton } from '../../schemas.js';
import { submitText } from '../commands/submit-text.js';
import { answerClick } from './answer-click.js';
import { buttonAction, formButtonAction } from './button-action.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
const MALFORMED = 'That button does not name a technical user Keywarden knows; nothing was changed.';

/** The technical user of a click, in the clicker's own Slack team. */
async function subject(deps: SlackDeps, c: { teamId: string; technicalUserId: string }) {
  const tu = await deps.store.technicalUsers.findById(c.technicalUserId);
  const ws = tu && (await deps.store.workspaces.findById(tu.workspaceId));
  if (!tu || !ws || ws.slack.teamId !== c.teamId) throw new DomainError(Codes.TECHUSER_NOT_FOUND, 'That technical user no longer exists.');
  return { tu, ws };
}

export function reviewKeepAction(deps: SlackDeps) {
  return async ({ ack, body, respond, client }: Args): Promise<void> => {
    await ack();
    const click = TokenButton.safeParse(body);
    if (!click.success) {
      refuseMalformed(deps.log, body, { action: 'review keep' }, click.error.issues);
      return answerClick(deps, { body, respond, client }, null, MALFORMED);
    }
    try {
      await subject(deps, click.data);
      const { record, technicalUser } = await deps.reviews.keep(click.data.technicalUserId, click.data.userId);
      // The question is answered: its buttons go, for whoever else sees it (a channel, when unowned).
      await respond({ replace_original: true, text: reviewKeptText(technicalUser, click.data.userId, record.nextAt) });
    } catch (err) {
      const text = errorText(err, deps.log, { user: click.data.userId, team: click.data.teamId, action: 'review keep', technicalUserId: click.data.technicalUserId });
      await answerClick(deps, { body, respond, client }, click.data, text);
    }
  };
}

export const reviewDeleteAction = (deps: SlackDeps) =>
  buttonAction(deps, {
    action: 'review delete',
    schema: TokenButton,
    malformed: MALFORMED,
    context: (c) => ({ technicalUserId: c.technicalUserId }),
    run: async (c) => {
      const { tu, ws } = await subject(deps, c);
      const r = await deps.requests.submit({
        workspace: ws, requester: c.userId, request: { kind: 'techuser.delete', params: { userName: tu.userName } }, reason: 'No longer needed (from its review).',
      });
      return submitText(deps, ws, r);
    },
  });

export function reviewTransferAction(deps: SlackDeps) {
  return formButtonAction(deps, {
    action: 'review transfer',
    schema: TokenButton,
    malformed: MALFORMED,
    context: (c) => ({ technicalUserId: c.technicalUserId }),
    async open(click, { triggerId, responseUrl }, client) {
      const { tu, ws } = await subject(deps, click);
      const owner = (await deps.store.ownership.findById(tu.id))?.owner ?? null;
      await client.views.open({ trigger_id: triggerId, view: techuserOwnerForm(ws, tu, owner, { workspaceId: ws.id, responseUrl }) });
    },
  });
}
