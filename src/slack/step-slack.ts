/**
 * The Slack side of the workflow step's ports: completing a step (functions.completeSuccess and
 * completeError, with the bot token: they need no scope, and any process may complete a step
 * long after the event that started it) and a person's email (users.info, users:read.email).
 * A minimal lookup of its own: an identity module with users.info may replace it.
 */
import { z } from 'zod';
import type { StepCompleter, UserEmails } from '../app/workflow-steps.js';
import type { SlackClient } from './slack-client.js';

/** The three calls, in the Web API's shape. */
export interface StepClient {
  functions: {
    completeSuccess(a: { function_execution_id: string; outputs: Record<string, unknown> }): Promise<unknown>;
    completeError(a: { function_execution_id: string; error: string }): Promise<unknown>;
  };
  users: { info(a: { user: string }): Promise<unknown> };
}

/** The bounded client's calls for the step (slack-client.ts: retries, timeouts). */
export const stepClient = (c: Pick<SlackClient, 'call'>): StepClient => ({
  functions: {
    completeSuccess: (a) => c.call('functions.completeSuccess', a),
    completeError: (a) => c.call('functions.completeError', a),
  },
  users: { info: (a) => c.call('users.info', a) },
});

const UserInfo = z.object({ user: z.object({ profile: z.object({ email: z.string().optional() }).optional() }).optional() });

export class SlackStepCompleter implements StepCompleter {
  constructor(private readonly client: StepClient) {}

  async success(functionExecutionId: string, outputs: Record<string, unknown>): Promise<void> {
    await this.client.functions.completeSuccess({ function_execution_id: functionExecutionId, outputs });
  }

  async error(functionExecutionId: string, message: string): Promise<void> {
    await this.client.functions.completeError({ function_execution_id: functionExecutionId, error: message.slice(0, 1000) });
  }
}

export class SlackUserEmails implements UserEmails {
  constructor(private readonly client: StepClient) {}

  async emailOf(slackUserId: string): Promise<string | null> {
    const info = UserInfo.safeParse(await this.client.users.info({ user: slackUserId }));
    return (info.success && info.data.user?.profile?.email) || null;
  }
}
