/**
 * The person picker of the `/permission role` form (blocks/forms.ts): Slack asks for options at
 * every keystroke and shows an error in the menu unless it gets an answer within 3 seconds. So
 * this always acks, exactly once, with a list: the matching people, or an empty list when the
 * payload is malformed, the form names a workspace not of this Slack team, the person typing is
 * not an admin of it (only admins may request changes, so only they may list its people), or the
 * search took longer than its bound. What was refused is logged, never shown.
 */
import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { logRefusal } from '../../../app/refusal.js';
import type { PeopleSearch } from '../../../app/people-search.js';
import { isAdmin } from '../../../domain/workspace.js';
import { MAX_PERSON_OPTIONS, noPersonOptions, personOptions, type PersonOptions } from '../../blocks/people.js';
import type { SlackDeps } from '../../deps.js';
import { forms } from '../../forms/ids.js';
import { decodeMetadata, FormMetadata } from '../../forms/metadata.js';
import { refuseMalformed, slackWho } from '../../refusals.js';
import { BlockSuggestion } from '../../view-schemas.js';

type Args = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;
type Deps = Pick<SlackDeps, 'store' | 'log'> & { peopleSearch: PeopleSearch };

export function personOptionsListener(deps: Deps) {
  return async ({ ack, body }: Args): Promise<void> => {
    let answer = noPersonOptions();
    try {
      answer = (await find(deps, body)) ?? answer;
    } catch (err) {
      deps.log.warn({ err, who: slackWho(body) }, 'the person picker could not search; it answered an empty list');
    }
    await ack(answer as Parameters<Args['ack']>[0]);
  };
}

async function find(deps: Deps, body: unknown): Promise<PersonOptions | null> {
  const s = BlockSuggestion.safeParse(body);
  const meta = s.success && s.data.callbackId === forms.PERMISSION_ROLE ? decodeMetadata(FormMetadata, s.data.metadata) : null;
  if (!s.success || !meta) {
    refuseMalformed(deps.log, body, { options: 'person picker' }, s.success ? [{ message: 'not our form, or bad private_metadata' }] : s.error.issues);
    return null;
  }
  const { userId: user, teamId: team, query } = s.data;
  const ws = await deps.store.workspaces.findById(meta.workspaceId);
  if (!ws || ws.slack.teamId !== team || !isAdmin(ws, user)) {
    logRefusal(deps.log, { refusal: ws && ws.slack.teamId === team ? 'AUTH.NOT_ADMIN' : 'SLACK.WRONG_WORKSPACE', who: { user, team }, what: { options: 'person picker', workspaceId: meta.workspaceId } });
    return null;
  }
  const found = await deps.peopleSearch.searchWithin(ws.id, query, MAX_PERSON_OPTIONS);
  if (!found) {
    deps.log.warn({ workspaceId: ws.id, user }, 'the person picker\'s search took too long; it answered an empty list');
    return null;
  }
  return personOptions(found);
}
