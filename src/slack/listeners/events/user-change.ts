/**
 * user_change: a Slack user's profile changed (their email, say). What is cached of them is
 * forgotten, in Redis for every process, so the next decision asks Slack who they are now.
 */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { People } from '../../../app/ports/people.js';
import type { SlackDeps } from '../../deps.js';

type Args = SlackEventMiddlewareArgs<'user_change'> & AllMiddlewareArgs;

const UserChange = z.object({
  event: z.object({
    type: z.literal('user_change'),
    user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]{2,20}$/), profile: z.object({ email: z.string().max(254).optional() }).optional() }),
  }),
});

export function userChange(deps: Pick<SlackDeps, 'log'> & { people: People }) {
  return async ({ body }: Args): Promise<void> => {
    const changed = UserChange.safeParse(body);
    if (!changed.success) {
      deps.log.warn({ issues: changed.error.issues.slice(0, 3) }, 'refused a malformed user_change event');
      return;
    }
    const { id, profile } = changed.data.event.user;
    await deps.people.forget(id, profile?.email ?? null);
    deps.log.info({ user: id }, 'Slack user changed; who they are is read again at the next decision');
  };
}
