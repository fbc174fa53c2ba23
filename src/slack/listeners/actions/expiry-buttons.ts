/**
 * Rotate token / Extend, on an expiry warning: each opens an ordinary approval request in the
 * clicker's name (so only the workspace's admins can), exactly as the slash command would.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { Codes, DomainError } from '../../../domain/errors.js';
import type { NewRequest } from '../../../domain/request.js';
import type { TechnicalUser } from '../../../domain/technical-user.js';
import { expiryDate } from '../../../domain/technical-user.js';
import { EXTEND_DAYS } from '../../blocks/techusers.js';
import type { SlackDeps } from '../../deps.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { TokenButton } from '../../schemas.js';
import { submitText } from '../commands/submit-text.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
const DAY = 86_400_000;

export function expiryButton(deps: SlackDeps, what: 'rotate' | 'extend') {
  return async ({ ack, body, respond }: Args): Promise<void> => {
    await ack();
    const click = TokenButton.safeParse(body);
    let text: string;
    if (!click.success) {
      refuseMalformed(deps.log, body, { action: what }, click.error.issues);
      text = 'That button does not name a technical user Keywarden knows; nothing was requested.';
    } else {
      try {
        text = await open(deps, what, click.data);
      } catch (err) {
        text = errorText(err, deps.log, { user: click.data.userId, team: click.data.teamId, action: what, technicalUserId: click.data.technicalUserId });
      }
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: unknown) =>
      deps.log.warn({ err }, 'could not answer an expiry button'),
    );
  };
}

async function open(deps: SlackDeps, what: 'rotate' | 'extend', c: { userId: string; teamId: string; technicalUserId: string }) {
  const tu = await deps.store.technicalUsers.findById(c.technicalUserId);
  const ws = tu && (await deps.store.workspaces.findById(tu.workspaceId));
  if (!tu || !ws || ws.slack.teamId !== c.teamId) {
    throw new DomainError(Codes.TECHUSER_NOT_FOUND, 'That technical user no longer exists.');
  }
  const request: NewRequest = what === 'rotate'
    ? { kind: 'techuser.rotate', params: { userName: tu.userName } }
    : { kind: 'techuser.expiry', params: { userName: tu.userName, expiry: extendedDate(tu, deps.clock.now()) } };
  const r = await deps.requests.submit({ workspace: ws, requester: c.userId, request, reason: 'Opened from an expiry warning.' });
  return submitText(ws, r);
}

/** EXTEND_DAYS after the current expiry date, or after today when the token has already expired. */
export function extendedDate(tu: TechnicalUser, now: Date): string {
  const from = Math.max(tu.token?.expiresAt.getTime() ?? 0, now.getTime());
  return expiryDate(new Date(from + EXTEND_DAYS * DAY));
}
