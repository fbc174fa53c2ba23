/**
 * /permission: parse (pure, instant), ack, then work and answer ephemerally via response_url.
 * Usage errors are answered in the ack itself, since there is no work to wait for.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { resolveWorkspace } from '../../../app/workspaces.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import { isAdmin, isApprover } from '../../../domain/workspace.js';
import { describeRequest, shortId } from '../../blocks/request.js';
import { permissionListText } from '../../blocks/permissions.js';
import type { SlackDeps } from '../../deps.js';
import { parsePermissionCommand, PERMISSION_USAGE, type PermissionCommand } from '../../grammar/permission-command.js';
import { isUsageError } from '../../grammar/words.js';
import { errorText } from '../../reply.js';
import { SlashCommand } from '../../schemas.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function permissionCommand(deps: SlackDeps) {
  return async ({ ack, body, respond }: Args): Promise<void> => {
    const cmd = SlashCommand.safeParse(body);
    if (!cmd.success) {
      deps.log.warn({ issues: cmd.error.issues.slice(0, 3) }, 'malformed slash command payload');
      await ack({ response_type: 'ephemeral', text: 'That command arrived incomplete; please try again.' });
      return;
    }
    const parsed = parsePermissionCommand(cmd.data.text);
    if (isUsageError(parsed)) {
      await ack({ response_type: 'ephemeral', text: `${parsed.error}\n\n${PERMISSION_USAGE}` });
      return;
    }
    if (parsed.action === 'help') {
      await ack({ response_type: 'ephemeral', text: PERMISSION_USAGE });
      return;
    }
    await ack();
    let text: string;
    try {
      text = await run(deps, parsed, cmd.data);
    } catch (err) {
      text = errorText(err, deps.log, { command: '/permission', user: cmd.data.user_id });
    }
    await respond({ response_type: 'ephemeral', text }).catch((err: unknown) =>
      deps.log.warn({ err }, 'could not answer a slash command'),
    );
  };
}

async function run(deps: SlackDeps, c: PermissionCommand, cmd: SlashCommand): Promise<string> {
  const ws = await resolveWorkspace(deps.store.workspaces, cmd.team_id, c.workspace);
  switch (c.action) {
    case 'help':
      return PERMISSION_USAGE;
    case 'list': {
      if (!isAdmin(ws, cmd.user_id) && !isApprover(ws, cmd.user_id)) {
        throw new DomainError(Codes.NOT_ADMIN, `Only admins and approvers of ${ws.name} can list permissions.`);
      }
      const views = await deps.permissions.list(ws.id, { query: c.query, status: c.status });
      const note = [c.query && ` matching "${c.query}"`, c.status && ` with status ${c.status}`].filter(Boolean).join('');
      return permissionListText(ws, views, note);
    }
    case 'request': {
      const r = await deps.requests.submit({ workspace: ws, requester: cmd.user_id, request: c.request, reason: c.reason });
      return `Request ${shortId(r.id)} (${describeRequest(r)}) was sent to <#${ws.slack.approvalsChannel}> for approval. You will get a DM when it is decided.`;
    }
  }
}
