/**
 * Rotate token / Extend, on an expiry warning: each opens an ordinary approval request in the
 * clicker's name (so only the workspace's admins can), exactly as the slash command would.
 */
import { Codes, DomainError } from '../../../domain/errors.js';
import type { NewRequest } from '../../../domain/request.js';
import type { TechnicalUser } from '../../../domain/technical-user.js';
import { expiryDate } from '../../../domain/technical-user.js';
import { EXTEND_DAYS } from '../../blocks/techusers.js';
import type { SlackDeps } from '../../deps.js';
import { TokenButton } from '../../schemas.js';
import { submitText } from '../commands/submit-text.js';
import { buttonAction } from './button-action.js';

const DAY = 86_400_000;

export function expiryButton(deps: SlackDeps, what: 'rotate' | 'extend') {
  return buttonAction(deps, {
    action: what,
    schema: TokenButton,
    malformed: 'That button does not name a technical user Keywarden knows; nothing was requested.',
    context: (c) => ({ technicalUserId: c.technicalUserId }),
    run: (c) => open(deps, what, c),
  });
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
  return submitText(deps, ws, r);
}

/** EXTEND_DAYS after the current expiry date, or after today when the token has already expired. */
export function extendedDate(tu: TechnicalUser, now: Date): string {
  const from = Math.max(tu.token?.expiresAt.getTime() ?? 0, now.getTime());
  return expiryDate(new Date(from + EXTEND_DAYS * DAY));
}
