/**
 * views.open for the forms, paced as Slack counts it (Tier 4, per method per Slack workspace;
 * outbound/lanes.ts). A form's trigger_id is good for 3 seconds, so it waits at most 2 for its
 * turn; past that, or when Slack answers 429 anyway, the person is told to try again in a moment
 * (a 429 also pauses views.open in that Slack workspace for every process, as the outbound path does).
 */
import type { types, webApi } from '@slack/bolt';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import type { Outbound } from './outbound/outbound.js';

export const FORM_WAIT_MS = 2000;

/** What opening a form needs of a client. */
export interface FormClient { views: { open(args: { trigger_id: string; view: types.ModalView }): Promise<unknown> } }

/** Bolt's client's error for a 429 it did not wait out. */
const RateLimited = z.object({ code: z.literal('slack_webapi_rate_limited_error'), retryAfter: z.number() });
const BUSY = 'Slack is busy right now, so the form could not be opened; please try again in a few seconds.';

export async function openView(
  outbound: Pick<Outbound, 'acquire' | 'limited'>,
  client: { views: { open(args: webApi.ViewsOpenArguments): Promise<unknown> } },
  teamId: string,
  args: { trigger_id: string; view: types.ModalView },
): Promise<void> {
  const address = { method: 'views.open', teamId };
  if (!(await outbound.acquire(address, FORM_WAIT_MS))) throw new DomainError('SLACK.BUSY', BUSY);
  try {
    await client.views.open(args);
  } catch (err) {
    const limited = RateLimited.safeParse(err);
    if (!limited.success) throw err;
    await outbound.limited(address, limited.data.retryAfter);
    throw new DomainError('SLACK.BUSY', BUSY);
  }
}

/** A client whose views.open is paced for Slack workspace `teamId`. */
export function pacedForms(outbound: Pick<Outbound, 'acquire' | 'limited'>, client: { views: { open(args: webApi.ViewsOpenArguments): Promise<unknown> } }, teamId: string): FormClient {
  return { views: { open: (args) => openView(outbound, client, teamId, args) } };
}
