/**
 * The shape every slash command shares: parse the text (pure, instant); answer usage errors and
 * help in the ack itself; otherwise ack at once, do the work, and answer ephemerally through the
 * response_url. Errors become a short message, never a stack trace.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs, types } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { isUsageError, type UsageError } from '../../grammar/words.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { SlashCommand } from '../../schemas.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** A command's answer: text, or a message with blocks (a page with buttons) and its fallback text. */
export type CommandAnswer = string | { text: string; blocks: types.KnownBlock[] };

export interface CommandSpec<C extends { action: string }> {
  name: string;
  usage: string;
  parse(text: string): C | UsageError;
  run(deps: SlackDeps, command: C, payload: SlashCommand): Promise<CommandAnswer>;
}

export function slashCommand<C extends { action: string }>(deps: SlackDeps, spec: CommandSpec<C>) {
  return async ({ ack, body, respond }: Args): Promise<void> => {
    const cmd = SlashCommand.safeParse(body);
    if (!cmd.success) {
      refuseMalformed(deps.log, body, { command: spec.name }, cmd.error.issues);
      await ack({ response_type: 'ephemeral', text: 'That command arrived incomplete; please try again.' });
      return;
    }
    const parsed = spec.parse(cmd.data.text);
    if (isUsageError(parsed)) {
      await ack({ response_type: 'ephemeral', text: `${parsed.error}\n\n${spec.usage}` });
      return;
    }
    if (parsed.action === 'help') {
      await ack({ response_type: 'ephemeral', text: spec.usage });
      return;
    }
    await ack();
    let answer: CommandAnswer;
    try {
      answer = await spec.run(deps, parsed, cmd.data);
    } catch (err) {
      answer = errorText(err, deps.log, { user: cmd.data.user_id, team: cmd.data.team_id, command: spec.name, text: cmd.data.text.slice(0, 200) });
    }
    await respond({ response_type: 'ephemeral', ...(typeof answer === 'string' ? { text: answer } : answer) }).catch((err: unknown) =>
      deps.log.warn({ err, command: spec.name }, 'could not answer a slash command'),
    );
  };
}
