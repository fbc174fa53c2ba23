/**
 * The shape every button listener shares: ack at once, parse the payload (refusing and logging a
 * malformed one), run the use case, turn a refusal into a short message, answer the clicker.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { z } from 'zod';
import type { SlackDeps } from '../../deps.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { answerClick } from './answer-click.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export interface ButtonSpec<T extends { userId: string; teamId: string }> {
  /** Names the button in logs. */
  action: string;
  schema: z.ZodType<T>;
  /** The answer to a payload that does not parse. */
  malformed: string;
  /** What the log should say about a refused click. */
  context(click: T): object;
  /** Does the work; returns the answer for the clicker. */
  run(click: T): Promise<string>;
}

export function buttonAction<T extends { userId: string; teamId: string }>(deps: SlackDeps, spec: ButtonSpec<T>) {
  return async ({ ack, body, respond, client }: Args): Promise<void> => {
    await ack();
    const click = spec.schema.safeParse(body);
    let text: string;
    if (!click.success) {
      refuseMalformed(deps.log, body, { action: spec.action }, click.error.issues);
      text = spec.malformed;
    } else {
      try {
        text = await spec.run(click.data);
      } catch (err) {
        text = errorText(err, deps.log, { user: click.data.userId, team: click.data.teamId, action: spec.action, ...spec.context(click.data) });
      }
    }
    // A message click is answered ephemerally; a Home tab click by the refreshed Home tab.
    await answerClick(deps, { body, respond, client }, click.success ? click.data : null, text);
  };
}
