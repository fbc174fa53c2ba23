/** /permission: list, grants, and requests for role (for good or for a time), archive, activate, invite. */
import { resolveWorkspace } from '../../../app/workspaces.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import type { Workspace } from '../../../domain/workspace.js';
import { isAdmin, isApprover } from '../../../domain/workspace.js';
import { GRANTS_LISTED, grantsListText } from '../../blocks/grants.js';
import { mayList, permissionListAnswer } from '../../permission-list.js';
import { DRIFT_LISTED, driftListText } from '../../blocks/drift.js';
import type { SlackDeps } from '../../deps.js';
import { parsePermissionCommand, PERMISSION_USAGE, type PermissionCommand } from '../../grammar/permission-command.js';
import type { SlashCommand } from '../../schemas.js';
import { submitText } from './submit-text.js';
import { slashCommand, type CommandAnswer } from './slash-command.js';
import { reviewCommand } from './review.js';

export const permissionCommand = (deps: SlackDeps) =>
  slashCommand(deps, { name: '/permission', usage: PERMISSION_USAGE, parse: parsePermissionCommand, run });

function mayRead(ws: Workspace, user: string, what: string) {
  if (!isAdmin(ws, user) && !isApprover(ws, user)) {
    throw new DomainError(Codes.NOT_ADMIN, `Only admins and approvers of ${ws.name} can ${what}.`);
  }
}

async function run(deps: SlackDeps, c: PermissionCommand, cmd: SlashCommand): Promise<CommandAnswer> {
  const ws = await resolveWorkspace(deps.store.workspaces, cmd.team_id, c.workspace);
  switch (c.action) {
    case 'help':
      return PERMISSION_USAGE;
    case 'grants':
      mayRead(ws, cmd.user_id, 'see its grants');
      return grantsListText(ws, await deps.grants.list(ws.id, GRANTS_LISTED + 1), deps.clock.now());
    case 'list':
      mayList(ws, cmd.user_id);
      return permissionListAnswer(deps, ws, { ...(c.query && { query: c.query }), ...(c.status && { status: c.status }) }, 1);
    case 'drift': {
      mayRead(ws, cmd.user_id, 'see changes made outside Keywarden');
      const all = deps.mirror ? await deps.mirror.drift.recent(ws.id) : [];
      const synced = deps.mirror && (await deps.mirror.state.lastSynced(ws.id).catch(() => null));
      const from = (c.page - 1) * DRIFT_LISTED;
      return driftListText(ws, all.slice(from, from + DRIFT_LISTED), c.page, all.length > from + DRIFT_LISTED, synced ?? null);
    }
    case 'review':
      return reviewCommand(deps, ws, c, cmd.user_id);
    case 'request':
      return submitText(deps, ws, await deps.requests.submit({ workspace: ws, requester: cmd.user_id, request: c.request, reason: c.reason, breakGlass: c.breakGlass }));
  }
}
