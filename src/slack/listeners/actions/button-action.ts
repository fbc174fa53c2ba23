/**
 * The shape every button listener shares: ack at once, parse the payload (refusing and logging a
 * malformed one), run the use case, turn a refusal into a short message, answer the clicker.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { z } from 'zod';
import type { SlackDeps } from '../../deps.js';
import { refuseMalformed } from '../../refusals.js';
import { ButtonOrigin } from '../../view-schemas.js';
import { errorText } from '../../reply.js';
import { answerClick } from './answer-click.js';
import { pacedForms, type FormClient } from '../../open-view.js';

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

/**
 * A button that opens a form: the same shape, but the form is the answer, so the clicker is only
 * answered when it cannot be opened. Acked at once: the trigger_id is good for 3 s from the click.
 */
export interface FormButtonSpec<T extends { userId: string; teamId: string }> extends Omit<ButtonSpec<T>, 'run'> {
  /** Opens the form (views.open with the click's trigger_id, paced: open-view.ts); throws a refusal to answer instead. */
  open(click: T, origin: z.output<typeof ButtonOrigin>, client: FormClient): Promise<void>;
}

export function formButtonAction<T extends { userId: string; teamId: string }>(deps: SlackDeps, spec: FormButtonSpec<T>) {
  return async ({ ack, body, respond, client }: Args): Promise<void> => {
    await ack();
    const click = spec.schema.safeParse(body);
    const origin = ButtonOrigin.safeParse(body);
    if (!click.success || !origin.success) {
      refuseMalformed(deps.log, body, { action: spec.action }, click.success ? origin.error!.issues : click.error.issues);
      await answerClick(deps, { body, respond, client }, null, spec.malformed);
      return;
    }
    try {
      await spec.open(click.data, origin.data, pacedForms(deps.outbound, client, click.data.teamId));
    } catch (err) {
      const text = errorText(err, deps.log, { user: click.data.userId, team: click.data.teamId, action: spec.action, ...spec.context(click.data) });
      await answerClick(deps, { body, respond, client }, click.data, text);
    }
  };
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
