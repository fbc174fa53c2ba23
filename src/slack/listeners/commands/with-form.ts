/**
 * A subcommand typed with nothing after it (`/techuser create`, `/permission role`, optionally
 * with `workspace:<name>`) opens a form with the command's trigger_id instead of printing usage;
 * anything else goes to the command as before. Only admins get the form (only they may request);
 * everyone else is told why, as the command would.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs, types } from '@slack/bolt';
import { resolveWorkspace } from '../../../app/workspaces.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import type { Workspace } from '../../../domain/workspace.js';
import { isAdmin } from '../../../domain/workspace.js';
import type { SlackDeps } from '../../deps.js';
import type { FormMetadata } from '../../forms/metadata.js';
import { isUsageError, splitWords } from '../../grammar/words.js';
import { errorText } from '../../reply.js';
import { openView } from '../../open-view.js';
import { SlashCommand } from '../../schemas.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export interface FormCommand {
  /** The subcommand that opens the form when it stands alone, e.g. 'create'. */
  sub: string;
  /** The form for this workspace (it may read the store, e.g. for the workspace's users). */
  build(deps: SlackDeps, ws: Workspace, meta: FormMetadata): Promise<types.ModalView>;
}

/** The workspace word of `text` when it is the subcommand alone; null for anything else. */
export function formWanted(text: string, sub: string): { workspace?: string } | null {
  const split = splitWords(text);
  if (isUsageError(split) || split.words.length !== 1 || split.words[0]!.toLowerCase() !== sub) return null;
  return split.workspace === undefined ? {} : { workspace: split.workspace };
}

export function withForm(deps: SlackDeps, form: FormCommand, command: (args: Args) => Promise<void>) {
  return async (args: Args): Promise<void> => {
    const cmd = SlashCommand.safeParse(args.body);
    const wanted = cmd.success && cmd.data.trigger_id ? formWanted(cmd.data.text, form.sub) : null;
    if (!cmd.success || !wanted) return command(args);
    const { user_id: user, team_id: team, trigger_id: triggerId, response_url: responseUrl } = cmd.data;
    // Ack first: the trigger_id stays usable for 3 seconds, the lookups below take milliseconds.
    await args.ack();
    try {
      const ws = await resolveWorkspace(deps.store.workspaces, team, wanted.workspace);
      if (!isAdmin(ws, user)) throw new DomainError(Codes.NOT_ADMIN, `Only admins of workspace ${ws.name} can request changes.`);
      const view = await form.build(deps, ws, { workspaceId: ws.id, responseUrl });
      await openView(deps.outbound, args.client, team, { trigger_id: triggerId!, view });
    } catch (err) {
      const text = errorText(err, deps.log, { user, team, command: cmd.data.command, action: `${form.sub} form` });
      await args.respond({ response_type: 'ephemeral', text }).catch((e: unknown) => deps.log.warn({ err: e }, 'could not answer a slash command'));
    }
  };
}
