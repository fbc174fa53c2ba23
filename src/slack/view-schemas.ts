/**
 * What we read from App Home events and modal (view) payloads, parsed with zod rather than cast.
 * The form fields themselves are parsed by each form (slack/forms/*), which knows its blocks.
 */
import { z } from 'zod';

const slackId = z.string().regex(/^[A-Z0-9]{2,20}$/, 'not a Slack id');

/** The event envelope of `app_home_opened` (the same over HTTP and Socket Mode). */
export const AppHomeOpened = z
  .object({
    team_id: slackId,
    event: z.object({ type: z.literal('app_home_opened'), user: slackId, tab: z.string().optional() }),
  })
  .transform((b) => ({ teamId: b.team_id, userId: b.event.user, tab: b.event.tab ?? 'home' }));

/** A user group's members changed (Events API): only which group matters, its members are read again. */
export const SubteamMembersChanged = z
  .object({ event: z.object({ type: z.literal('subteam_members_changed'), subteam_id: slackId }) })
  .transform((b) => ({ groupId: b.event.subteam_id }));

/** One input's state, as Slack sends it for the elements our forms use. */
export const InputState = z.object({
  type: z.string(),
  value: z.string().nullish(),
  selected_date: z.string().nullish(),
  selected_option: z.object({ value: z.string() }).nullish(),
  /** A users_select (the owner form). */
  selected_user: z.string().nullish(),
});
export type InputState = z.infer<typeof InputState>;

/** A form submitted: who, from which team, which form, its private metadata and its field values. */
export const ViewSubmission = z
  .object({
    type: z.literal('view_submission'),
    user: z.object({ id: slackId, team_id: slackId.optional() }),
    team: z.object({ id: slackId }).nullish(),
    view: z.object({
      id: z.string().optional(),
      callback_id: z.string(),
      private_metadata: z.string().default(''),
      state: z.object({ values: z.record(z.string(), z.record(z.string(), InputState)) }),
    }),
  })
  .transform((b) => ({
    userId: b.user.id,
    teamId: b.team?.id ?? b.user.team_id ?? '',
    callbackId: b.view.callback_id,
    metadata: b.view.private_metadata,
    values: b.view.state.values,
  }));
export type ViewSubmission = z.output<typeof ViewSubmission>;

/**
 * A click on a request button, with what is needed to open a form from it (trigger_id) and to
 * answer afterwards: the response_url of a message, or the Home tab it came from.
 */
export const ButtonOrigin = z
  .object({
    trigger_id: z.string().min(1),
    response_url: z.url().optional(),
    container: z.object({ type: z.string() }).optional(),
    view: z.object({ type: z.string() }).optional(),
  })
  .transform((b) => ({
    triggerId: b.trigger_id,
    responseUrl: b.response_url,
    fromHome: b.container?.type === 'view' && b.view?.type === 'home',
  }));

/**
 * An options request of an external select in one of our modals (block_suggestion): who types,
 * in which Slack workspace, what they typed so far, and the modal's private metadata.
 */
export const BlockSuggestion = z
  .object({
    type: z.literal('block_suggestion'),
    user: z.object({ id: slackId, team_id: slackId.optional() }),
    team: z.object({ id: slackId }).nullish(),
    block_id: z.string(),
    // Slack sends what is typed in the select's search box; longer than any name or email is no query.
    value: z.string().max(300),
    view: z.object({ callback_id: z.string(), private_metadata: z.string().default('') }),
  })
  .transform((b) => ({
    userId: b.user.id,
    teamId: b.team?.id ?? b.user.team_id ?? '',
    blockId: b.block_id,
    query: b.value,
    callbackId: b.view.callback_id,
    metadata: b.view.private_metadata,
  }));
