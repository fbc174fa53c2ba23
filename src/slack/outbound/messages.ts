/**
 * What Keywarden posts on its own, as outbound messages. A message names what it is about (ids)
 * and is rendered from the store when it is sent, never before: so a message that waited out a
 * rate limit shows the state of things when it lands, and its data, which may wait in Redis,
 * never holds a secret or a rendered body (the one text that is carried, a channel notice, is
 * written by Keywarden and names no secret).
 */
import { z } from 'zod';

const Id = z.string().min(1).max(100);

export const OutboundMessage = z.discriminatedUnion('kind', [
  /** A request's approval message, with its buttons while it is pending. */
  z.object({ kind: z.literal('approval'), requestId: Id }),
  /** The approval message rewritten for the request's state now. */
  z.object({ kind: z.literal('rewrite'), requestId: Id }),
  /** The requester's DM saying how their request ended. */
  z.object({ kind: z.literal('dm'), requestId: Id }),
  /** A time-bound grant ended: told to its requester by DM, and in the approval message's thread. */
  z.object({
    kind: z.literal('grant-ended'), to: z.enum(['requester', 'thread']), requestId: Id, revertedTo: z.string().max(100),
    end: z.union([
      z.object({ how: z.literal('expired') }),
      z.object({ how: z.literal('ended'), by: Id }),
      z.object({ how: z.literal('superseded'), by: Id.nullable() }),
      z.object({ how: z.literal('outside'), to: z.enum(['VIEWER', 'MEMBER', 'ADMIN']) }),
    ]),
  }),
  /** The approvers' reminder, in the approval message's thread. */
  z.object({ kind: z.literal('reminder'), requestId: Id, at: z.iso.datetime() }),
  /**
   * A policy event of a request (app/break-glass.ts, app/escalation.ts): in the approval
   * message's thread (`where: 'thread'`) or in a notification channel (its id).
   */
  z.object({
    kind: z.literal('policy'), requestId: Id, event: z.enum(['break-glass', 'unreviewed', 'escalated']), where: Id,
    hours: z.number().int().min(0).max(100_000).optional(), to: z.array(Id).max(50).optional(),
  }),
  /** A notice to a channel (or a person's DM) of Slack workspace `teamId` (of organisation `enterpriseId`, installed org-wide). */
  z.object({ kind: z.literal('notice'), channel: Id, text: z.string().max(3000), teamId: Id.optional(), enterpriseId: Id.optional() }),
  /**
   * The DM to the person whose permission a request changed (app/subject-notice.ts); without
   * `userId`, first the lookup of who they are on Slack, which then queues the DM.
   */
  z.object({ kind: z.literal('subject'), requestId: Id, userId: Id.optional(), until: z.iso.datetime().optional() }),
  /** An access review's DM to a reviewer (app/access-reviews.ts): at the start, or a reminder, with the count of their items. */
  z.object({ kind: z.literal('access-review'), step: z.enum(['ask', 'half', 'dayBefore']), campaignId: Id, userId: Id, items: z.number().int().min(0) }),
  /** Expiry warnings for one channel: one message each, or one digest when there are many. */
  z.object({
    kind: z.literal('expiry'), workspaceId: Id, channel: Id, at: z.iso.datetime(),
    tokens: z.array(z.object({ technicalUserId: Id, days: z.number().int() })).min(1).max(200),
  }),
  /** A technical user's review (app/ownership-reviews.ts): the question to its owner (or channel), the reminder, or the overdue notice. */
  z.object({ kind: z.literal('review'), step: z.enum(['ask', 'remind', 'overdue']), technicalUserId: Id, channel: Id, at: z.iso.datetime() }),
  /**
   * Changes found in a connected LeanIX workspace that Keywarden did not make (drift), by their
   * history lines: at once (`day` absent) or one part of a day's digest.
   */
  z.object({
    kind: z.literal('drift'), workspaceId: Id, channel: Id, entries: z.array(Id).min(1).max(48),
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(), part: z.number().int().min(1).max(1000).optional(), parts: z.number().int().min(1).max(1000).optional(),
  }),
  /**
   * The Workflow Builder step of a request that ended, completed (functions.completeSuccess or
   * completeError, as the request's end says: app/workflow-steps.ts) in Slack workspace `teamId`.
   */
  z.object({ kind: z.literal('step'), requestId: Id, teamId: Id }),
  /** A person's App Home tab. */
  z.object({ kind: z.literal('home'), teamId: Id, enterpriseId: Id.optional(), userId: Id, notice: z.string().max(3000).optional() }),
]);
export type OutboundMessage = z.infer<typeof OutboundMessage>;

/** The Slack limits the outbound path paces by: one lane per Web API method it calls. */
export type Lane = 'chat.postMessage' | 'chat.update' | 'views.publish' | 'functions.complete';
/** `functions.complete`: a step's completion, functions.completeSuccess or completeError (each paced as its own method). */
export const LANES: readonly Lane[] = ['chat.postMessage', 'chat.update', 'views.publish', 'functions.complete'];

export function laneOf(m: OutboundMessage): Lane {
  if (m.kind === 'rewrite') return 'chat.update';
  if (m.kind === 'home') return 'views.publish';
  if (m.kind === 'step') return 'functions.complete';
  return 'chat.postMessage';
}

/**
 * How a queued message is told apart from its copies. Messages that happen once per request use
 * the request's id as the job id, so queueing one twice (a sweep, a retried job) sends it once.
 * Rewrites and Home tabs are coalesced instead (`dedupe`): at most one is waiting per request or
 * person, rendered when it is sent, so the latest state wins and two never run at the same time.
 */
export function identity(m: OutboundMessage): { jobId?: string; dedupe?: string } {
  switch (m.kind) {
    case 'approval': case 'dm': case 'reminder': case 'step':
      return { jobId: `${m.kind}-${m.requestId}` };
    case 'subject':
      // The lookup and the DM it leads to are two jobs: one id would make the DM a copy of its lookup.
      return { jobId: `${m.userId ? 'subject' : 'subject-lookup'}-${m.requestId}` };
    case 'rewrite':
      return { dedupe: `rewrite:${m.requestId}` };
    case 'home':
      return { dedupe: `home:${m.teamId}:${m.userId}` };
    case 'grant-ended':
      return { jobId: `${m.kind}-${m.to}-${m.requestId}` };
    case 'review':
      // Once per step, channel and moment of the step (BullMQ refuses ':' in job ids: epoch ms).
      return { jobId: `review-${m.step}-${m.technicalUserId}-${m.channel}-${Date.parse(m.at)}` };
    case 'access-review':
      return { jobId: `${m.kind}-${m.step}-${m.campaignId}-${m.userId}` };
    case 'policy':
      // Once per event, place and (for a reminder) period, however often it is queued.
      return { jobId: `${m.kind}-${m.event}-${m.hours ?? 0}-${m.where}-${m.requestId}` };
    case 'drift':
      // Once per change (or digest part) and channel. BullMQ refuses ':' in job ids.
      return { jobId: `drift-${m.channel}-${(m.day ? `${m.workspaceId}-${m.day}-${m.part ?? 1}` : m.entries[0]!).replace(/:/g, '-')}` };
    default:
      return {};
  }
}
