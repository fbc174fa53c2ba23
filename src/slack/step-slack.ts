/**
 * The Slack side of the workflow step's ports: completing a step, as a message of the outbound
 * path (`step`: paced per method per Slack workspace, queued through a 429 or a restart, sent
 * once; delivery.ts renders it from the request), and a person's email (users.info,
 * users:read.email). A minimal lookup of its own: an identity module with users.info may replace it.
 */
import { z } from 'zod';
import type { StepCompleter, UserEmails } from '../app/workflow-steps.js';
import type { ChangeRequest } from '../domain/request.js';
import type { Outbound } from './outbound/outbound.js';
import type { SlackClient } from './slack-client.js';

/** The call for the person's email, in the Web API's shape. */
export interface StepClient {
  users: { info(a: { user: string }): Promise<unknown> };
}

/** The bounded client's call for the step (slack-client.ts: retries, timeouts). */
export const stepClient = (c: Pick<SlackClient, 'call'>): StepClient => ({
  users: { info: (a) => c.call('users.info', a) },
});

const UserInfo = z.object({ user: z.object({ profile: z.object({ email: z.string().optional() }).optional() }).optional() });

export class SlackStepCompleter implements StepCompleter {
  constructor(private readonly outbound: Pick<Outbound, 'send'>) {}

  async complete(r: ChangeRequest, teamId: string): Promise<void> {
    await this.outbound.send({ kind: 'step', requestId: r.id, teamId }, { request: r });
  }
}

export class SlackUserEmails implements UserEmails {
  constructor(private readonly client: StepClient) {}

  async emailOf(slackUserId: string): Promise<string | null> {
    const info = UserInfo.safeParse(await this.client.users.info({ user: slackUserId }));
    return (info.success && info.data.user?.profile?.email) || null;
  }
}
