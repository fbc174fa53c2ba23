/** /techuser: list, grants, history, and requests for create, rotate, expiry, role (for good or for a time), delete. */
import { resolveWorkspace } from '../../../app/workspaces.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import type { Workspace } from '../../../domain/workspace.js';
import { isAdmin, isApprover } from '../../../domain/workspace.js';
import { GRANTS_LISTED, grantsListText } from '../../blocks/grants.js';
import { historyText, leanixChangelogText, techUserListText } from '../../blocks/techusers.js';
import { messageText } from '../../blocks/typed.js';
import type { SlackDeps } from '../../deps.js';
import { parseTechuserCommand, TECHUSER_USAGE, type TechuserCommand } from '../../grammar/techuser-command.js';
import type { SlashCommand } from '../../schemas.js';
import { slashCommand } from './slash-command.js';
import { submitText } from './submit-text.js';

export const techuserCommand = (deps: SlackDeps) =>
  slashCommand(deps, { name: '/techuser', usage: TECHUSER_USAGE, parse: parseTechuserCommand, run });

function mayRead(ws: Workspace, user: string) {
  if (!isAdmin(ws, user) && !isApprover(ws, user)) {
    throw new DomainError(Codes.NOT_ADMIN, `Only admins and approvers of ${ws.name} can see technical users.`);
  }
}

async function run(deps: SlackDeps, c: TechuserCommand, cmd: SlashCommand): Promise<string> {
  const ws = await resolveWorkspace(deps.store.workspaces, cmd.team_id, c.workspace);
  switch (c.action) {
    case 'help':
      return TECHUSER_USAGE;
    case 'list':
      mayRead(ws, cmd.user_id);
      return techUserListText(ws, await deps.technicalUsers.list(ws.id), deps.clock.now(), await deps.reviews.byTechnicalUser(ws.id));
    case 'grants': {
      mayRead(ws, cmd.user_id);
      // Read from the technical users alone, so a workspace's many permission grants cannot crowd them out.
      const grants = (await deps.store.technicalUsers.listGrants(ws.id, GRANTS_LISTED + 1))
        .map((t) => ({ subject: { type: 'technicalUser' as const, id: t.id, label: t.userName }, grant: t.grant! }));
      return grantsListText(ws, grants, deps.clock.now(), 'grants of technical users');
    }
    case 'history': {
      mayRead(ws, cmd.user_id);
      const own = historyText(c.userName, await deps.technicalUsers.history(ws.id, c.userName));
      if (!deps.leanixChangelog) return own;
      const tu = await deps.technicalUsers.get(ws.id, c.userName);
      // Beside Keywarden's lines, never instead of them: LeanIX being away costs only its part.
      const there = await deps.leanixChangelog(ws.id, tu.id).catch((err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 200));
      return there === null ? own : messageText(`${own}\n\n${leanixChangelogText(there)}`);
    }
    case 'request':
      return submitText(deps, ws, await deps.requests.submit({ workspace: ws, requester: cmd.user_id, request: c.request, reason: c.reason, breakGlass: c.breakGlass }));
  }
}
