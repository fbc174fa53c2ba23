/** What we read from Slack's payloads, parsed with zod rather than cast. */
import { z } from 'zod';

const slackId = z.string().regex(/^[A-Z0-9]{2,20}$/, 'not a Slack id');

export const SlashCommand = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: slackId,
  team_id: slackId,
  channel_id: z.string(),
  response_url: z.url(),
  trigger_id: z.string().optional(),
});
export type SlashCommand = z.infer<typeof SlashCommand>;

/** A click on one of our request buttons. The value must be a request id, nothing else. */
export const RequestButton = z
  .object({
    type: z.literal('block_actions'),
    user: z.object({ id: slackId, team_id: slackId.optional() }),
    team: z.object({ id: slackId }).nullish(),
    actions: z.array(z.object({ action_id: z.string(), value: z.uuid() })).min(1),
    channel: z.object({ id: z.string() }).optional(),
    container: z.object({ message_ts: z.string().optional() }).optional(),
    response_url: z.url().optional(),
  })
  .transform((b) => ({
    userId: b.user.id,
    teamId: b.team?.id ?? b.user.team_id ?? '',
    requestId: b.actions[0]!.value,
    message: b.channel?.id && b.container?.message_ts ? { channel: b.channel.id, ts: b.container.message_ts } : undefined,
  }));

/** A click on Reveal token in the requester's DM. */
export const RevealButton = z
  .object({
    type: z.literal('block_actions'),
    user: z.object({ id: slackId }),
    actions: z.array(z.object({ value: z.uuid() })).min(1),
    channel: z.object({ id: z.string() }).optional(),
    container: z.object({ message_ts: z.string().optional(), channel_id: z.string().optional() }).optional(),
  })
  .transform((b) => ({
    userId: b.user.id,
    requestId: b.actions[0]!.value,
    channelId: b.channel?.id ?? b.container?.channel_id,
    messageTs: b.container?.message_ts,
  }));

/** A click on Rotate token or Extend in an expiry warning; the value is a technical user id. */
export const TokenButton = z
  .object({
    type: z.literal('block_actions'),
    user: z.object({ id: slackId, team_id: slackId.optional() }),
    team: z.object({ id: slackId }).nullish(),
    actions: z.array(z.object({ value: z.uuid() })).min(1),
  })
  .transform((b) => ({ userId: b.user.id, teamId: b.team?.id ?? b.user.team_id ?? '', technicalUserId: b.actions[0]!.value }));

/** A click on Previous or Next under a `/permission list` page; the value names the page (permission-pages.ts). */
export const ListPageButton = z
  .object({
    type: z.literal('block_actions'),
    user: z.object({ id: slackId, team_id: slackId.optional() }),
    team: z.object({ id: slackId }).nullish(),
    actions: z.array(z.object({ value: z.string().max(2000) })).min(1),
    response_url: z.url(),
  })
  .transform((b) => ({ userId: b.user.id, teamId: b.team?.id ?? b.user.team_id ?? '', value: b.actions[0]!.value }));
