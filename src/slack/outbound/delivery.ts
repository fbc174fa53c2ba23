/**
 * Sends one outbound message to Slack: renders it from the store as things are now, then makes
 * the one Web API call it needs. Used for a message sent at once and for one that waited in its
 * lane's queue alike, so both look the same.
 */
import type { Clock, Log, Store } from '../../app/ports.js';
import type { Policies } from '../../app/policies.js';
import { HomeService } from '../../app/home.js';
import type { ChangeRequest } from '../../domain/request.js';
import { isGrantRequest, TOKEN_KINDS } from '../../domain/request.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { Workspace } from '../../domain/workspace.js';
import { expiryDigestBlocks } from '../blocks/expiry-digest.js';
import { grantButtons, grantEndedText } from '../blocks/grants.js';
import { homeView } from '../blocks/home.js';
import { approvalRequestBlocks, reminderText, requestText, requesterDmBlocks, requesterText } from '../blocks/request.js';
import { subjectText } from '../blocks/identity.js';
import { subjectEmail } from '../../domain/identity.js';
import { reviewerDm } from '../blocks/access-reviews.js';
import { reviewOverdueText, reviewQuestionBlocks } from '../blocks/reviews.js';
import { expiryWarningBlocks, revealBlocks } from '../blocks/techusers.js';
import { driftDigestBlocks, driftNowBlocks } from '../blocks/drift.js';
import type { HistoryEntry } from '../../domain/history.js';
import { breakGlassUnreviewedText, breakGlassUsedText, escalationText } from '../blocks/policy.js';
import type { webApi } from '@slack/bolt';
import { SlackPlatformError, type SlackMessages } from '../slack-client.js';
import type { SlackClients } from '../installations/clients.js';
import { slackContext } from '../installations/context.js';
import { stepCompletion, type StepCompletion } from '../../app/workflow-steps.js';
import type { SlackAddress } from './lanes.js';
import type { OutboundMessage } from './messages.js';
import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;

export type SlackRef = { channel: string; ts: string };

/** A message ready to go: where to (what its pacing counts), and the call. */
export interface Prepared { address: SlackAddress; send(): Promise<SlackRef | null> }

/** The Slack workspace of a notice that names none (a caller from before notices carried one). */
export const DEFAULT_TEAM = 'default';

/** What the caller already holds, so a message sent at once need not read it again. */
export interface Known { request?: ChangeRequest; workspace?: Workspace }

/** Slack's answers for a step that is no longer running (api.slack.com/methods/functions.completeSuccess). */
const STEP_OVER = new Set(['function_execution_not_found', 'execution_not_in_running_state']);

/** A rewrite that finds the request changed while it was sent sends again, up to this many times. */
const REWRITE_ROUNDS = 3;

export class OutboundDelivery {
  constructor(
    private readonly deps: {
      /** The client of each installation: a message goes with the token of the Slack workspace it is for. */
      clients: Pick<SlackClients, 'for'>; store: Store; clock: Clock; log: Log;
      /** Who may decide what, for the Home tab (app/policies.ts). */
      policies: Policies;
      /** The access reviews waiting for a person, as Home tab blocks (none when not given). */
      reviewHome?: (teamId: string, userId: string) => Promise<KnownBlock[]>;
      revealBy: (r: ChangeRequest) => Promise<Date | null>;
      /** Who the subject of a request is on Slack (throws Slack's failures), and telling them (app/subject-notice.ts). */
      subjects?: {
        find(ws: Workspace, email: string): Promise<string | null>;
        found(r: ChangeRequest, ws: Workspace, to: string): Promise<void>;
      };
    },
  ) {}

  /**
   * Sends `m` at once, unpaced. Returns where an approval message was posted; null when there
   * was nothing to send (the request or workspace is gone, or the approval message was posted before).
   */
  async deliver(m: OutboundMessage, known: Known = {}): Promise<SlackRef | null> {
    const p = await this.prepare(m, known);
    return p ? p.send() : null;
  }

  /**
   * What sending `m` takes: where it goes (its method, Slack workspace and channel, which the
   * pacing counts by) and the call itself, rendered from what was read here when it runs. Null
   * when there is nothing to send.
   */
  async prepare(m: OutboundMessage, known: Known = {}): Promise<Prepared | null> {
    const p = await this.prepared(m, known);
    // What rendering calls on Slack (a user group's members for a Home tab) goes with the message's installation.
    return p && { address: p.address, send: () => slackContext.run({ teamId: p.address.teamId, enterpriseId: p.address.enterpriseId ?? null }, p.send) };
  }

  private async prepared(m: OutboundMessage, known: Known): Promise<Prepared | null> {
    const clientFor = (a: SlackAddress): SlackMessages => this.deps.clients.for(a.teamId, a.enterpriseId ?? null);
    // The installation that speaks for a workspace's Slack workspace (its organisation's, org-wide).
    const from = (ws: Workspace) => ({ teamId: ws.slack.teamId, enterpriseId: ws.slack.enterpriseId ?? null });
    const post = (at: { teamId: string; enterpriseId: string | null }, args: webApi.ChatPostMessageArguments): Prepared => {
      const address = { method: 'chat.postMessage', ...at, channel: args.channel };
      return {
        address,
        send: async () => {
          const client = clientFor(address);
          await client.chat.postMessage(args);
          return null;
        },
      };
    };
    switch (m.kind) {
      case 'approval': {
        const found = await this.request(m.requestId, known);
        if (!found || found.r.slack) return null;
        const { r, ws } = found;
        const address = { method: 'chat.postMessage', ...from(ws), channel: ws.slack.approvalsChannel };
        return {
          address,
          send: async () => {
            const client = clientFor(address);
            const res = await client.chat.postMessage({ channel: ws.slack.approvalsChannel, text: requestText(r, ws), blocks: approvalRequestBlocks(r, ws) });
            if (!res.channel || !res.ts) throw new Error('chat.postMessage returned no channel or ts');
            return { channel: res.channel, ts: res.ts };
          },
        };
      }
      case 'rewrite': {
        const found = await this.request(m.requestId, known);
        if (!found?.r.slack) return null;
        const address = { method: 'chat.update', ...from(found.ws), channel: found.r.slack.channel };
        return {
          address,
          send: async () => {
            await this.rewrite(clientFor(address), found);
            return null;
          },
        };
      }
      case 'dm': {
        const found = await this.request(m.requestId, known);
        if (!found) return null;
        // Posting to a user id lands in the DM between that user and the bot: its own channel.
        const address = { method: 'chat.postMessage', ...from(found.ws), channel: found.r.requester };
        return {
          address,
          send: async () => {
            await this.tellRequester(clientFor(address), found.r, found.ws);
            return null;
          },
        };
      }
      case 'grant-ended': {
        const found = await this.request(m.requestId, known);
        if (!found) return null;
        const { r, ws } = found;
        const text = grantEndedText(r, ws, m.end, m.revertedTo);
        if (m.to === 'requester') return post(from(ws), { channel: r.requester, text });
        return r.slack ? post(from(ws), { channel: r.slack.channel, thread_ts: r.slack.ts, text }) : null;
      }
      case 'reminder': {
        const found = await this.request(m.requestId, known);
        if (!found) return null;
        const { r, ws } = found;
        const text = reminderText(r, ws, new Date(m.at));
        return post(from(ws), r.slack ? { channel: r.slack.channel, thread_ts: r.slack.ts, text } : { channel: ws.slack.approvalsChannel, text });
      }
      case 'subject': {
        const found = await this.request(m.requestId, known);
        if (!found) return null;
        if (m.userId) return post(from(found.ws), { channel: m.userId, text: subjectText(found.r, found.ws, m.until ? new Date(m.until) : null) });
        const { subjects } = this.deps;
        const email = subjectEmail(found.r);
        if (!subjects || !email) return null;
        return {
          address: { method: 'users.lookupByEmail', ...from(found.ws) },
          send: async () => {
            // Slack's answer (a 429 too) is thrown to the outbound path, which waits and asks again.
            const to = await subjects.find(found.ws, email);
            if (to) await subjects.found(found.r, found.ws, to);
            return null;
          },
        };
      }
      case 'access-review': {
        const c = await this.deps.store.accessReviews.findCampaign(m.campaignId);
        const ws = c && (await this.deps.store.workspaces.findById(c.workspaceId));
        if (c?.status !== 'OPEN' || !ws) return null;
        return post(from(ws), { channel: m.userId, ...reviewerDm(ws, c, m.step, m.items) });
      }
      case 'notice':
        return post({ teamId: m.teamId ?? DEFAULT_TEAM, enterpriseId: m.enterpriseId ?? null }, { channel: m.channel, text: m.text });
      case 'policy': {
        const found = await this.request(m.requestId, known);
        if (!found) return null;
        const { r, ws } = found;
        const text = m.event === 'escalated' ? escalationText(r, m.to ?? [])
          : m.event === 'break-glass' ? breakGlassUsedText(r, ws) : breakGlassUnreviewedText(r, ws, m.hours ?? 0);
        if (m.where !== 'thread') return post(from(ws), { channel: m.where, text });
        return post(from(ws), r.slack ? { channel: r.slack.channel, thread_ts: r.slack.ts, text } : { channel: ws.slack.approvalsChannel, text });
      }
      case 'expiry': {
        const ws = known.workspace?.id === m.workspaceId ? known.workspace : await this.deps.store.workspaces.findById(m.workspaceId);
        if (!ws) return null;
        const warnings: Array<{ tu: TechnicalUser; days: number }> = [];
        for (const t of m.tokens) {
          const tu = await this.deps.store.technicalUsers.findById(t.technicalUserId);
          if (tu?.token) warnings.push({ tu, days: t.days });
        }
        if (warnings.length === 0) return null;
        const at = new Date(m.at);
        const message = warnings.length === 1 ? expiryWarningBlocks(ws, warnings[0]!.tu, warnings[0]!.days, at) : expiryDigestBlocks(ws, warnings, at);
        return post(from(ws), { channel: m.channel, ...message });
      }
      case 'review': {
        // Rendered as things are now: a technical user deleted meanwhile is asked about no more.
        const { store } = this.deps;
        const [tu, record] = await Promise.all([store.technicalUsers.findById(m.technicalUserId), store.ownership.findById(m.technicalUserId)]);
        const ws = tu && record && (known.workspace?.id === tu.workspaceId ? known.workspace : await store.workspaces.findById(tu.workspaceId));
        if (!tu || !record || !ws) return null;
        const at = new Date(m.at);
        const message = m.step === 'overdue' ? { text: reviewOverdueText(ws, record, tu, at) } : reviewQuestionBlocks(ws, record, tu, at, m.step === 'remind');
        return post(from(ws), { channel: m.channel, ...message });
      }
      case 'drift': {
        const ws = known.workspace?.id === m.workspaceId ? known.workspace : await this.deps.store.workspaces.findById(m.workspaceId);
        const entries = (await Promise.all(m.entries.map((id) => this.deps.store.history.findById(id)))).filter((e): e is HistoryEntry => e !== null);
        if (!ws || entries.length === 0) return null;
        const message = m.day ? driftDigestBlocks(ws, m.day, entries, m.part ?? 1, m.parts ?? 1) : driftNowBlocks(ws, entries);
        return post(from(ws), { channel: m.channel, ...message });
      }
      case 'step': {
        const found = await this.request(m.requestId, known);
        const done = found && stepCompletion(found.r);
        if (!found || !done) return null;
        // The step ran in Slack workspace m.teamId; its organisation's org-wide install may speak for it.
        const address = { method: done.method, teamId: m.teamId, enterpriseId: found.ws.slack.enterpriseId ?? null };
        return {
          address,
          send: async () => {
            await this.completeStep(clientFor(address), m.requestId, done);
            return null;
          },
        };
      }
      case 'home': {
        const address = { method: 'views.publish', teamId: m.teamId, enterpriseId: m.enterpriseId ?? null };
        return {
          address,
          send: async () => {
            const home = await new HomeService(this.deps).forUser(m.teamId, m.userId);
            const reviews = (await this.deps.reviewHome?.(m.teamId, m.userId)) ?? [];
            const client = clientFor(address);
            await client.views.publish({ user_id: m.userId, view: homeView(home, m.userId, this.deps.clock.now(), m.notice, reviews) });
            return null;
          },
        };
      }
    }
  }

  /**
   * The approval message rewritten for the request as stored. Nothing is rewritten before the
   * approval message exists: the post renders the state of its own time. And an older rewrite
   * never stays over a newer one: after each rewrite the stored version is read again, and a
   * request that changed meanwhile is rewritten once more.
   */
  private async rewrite(client: SlackMessages, first: { r: ChangeRequest; ws: Workspace }): Promise<void> {
    const { ws } = first;
    let r = first.r;
    for (let round = 0; r.slack && round < REWRITE_ROUNDS; round++) {
      await client.chat.update({ channel: r.slack!.channel, ts: r.slack!.ts, text: requestText(r, ws), blocks: approvalRequestBlocks(r, ws) });
      const now = await this.deps.store.requests.findById(r.id);
      if (!now || now.version === r.version) return;
      r = now;
    }
  }

  /**
   * A step Slack refuses to complete for good (it is over: completed before, timed out, or its
   * workflow deleted; or Slack refuses the call itself) is logged and dropped: retrying cannot
   * change Slack's answer. Anything else (a 429, no answer) is thrown, for the path to retry.
   */
  private async completeStep(client: SlackMessages, requestId: string, c: StepCompletion): Promise<void> {
    const { log } = this.deps;
    try {
      if (c.method === 'functions.completeSuccess') await client.functions.completeSuccess(c.args);
      else await client.functions.completeError(c.args);
    } catch (err) {
      if (!(err instanceof SlackPlatformError)) throw err;
      const over = STEP_OVER.has(err.data.error);
      log[over ? 'warn' : 'error']({ requestId, method: c.method, error: err.data.error }, over
        ? 'Slack says the workflow step is no longer running; its completion is dropped'
        : 'Slack refused to complete the workflow step; its completion is dropped');
    }
  }

  private async tellRequester(client: SlackMessages, r: ChangeRequest, ws: Workspace): Promise<void> {
    const text = requesterText(r, ws);
    // Posting to a user id lands in the DM between that user and the bot.
    if (r.status === 'APPLIED' && TOKEN_KINDS.includes(r.kind) && 'userName' in r.params) {
      const blocks = requesterDmBlocks(r, ws, revealBlocks(r.params.userName, r.id, await this.deps.revealBy(r)));
      await client.chat.postMessage({ channel: r.requester, text, blocks });
      return;
    }
    if (r.status === 'APPLIED' && isGrantRequest(r) && r.kind !== 'permission.extend' && r.kind !== 'techuser.extend') {
      await client.chat.postMessage({ channel: r.requester, text, blocks: requesterDmBlocks(r, ws, [grantButtons(r.id)]) });
      return;
    }
    await client.chat.postMessage({ channel: r.requester, text });
  }

  private async request(id: string, known: Known): Promise<{ r: ChangeRequest; ws: Workspace } | null> {
    const r = known.request?.id === id ? known.request : await this.deps.store.requests.findById(id);
    if (!r) return null;
    const ws = known.workspace?.id === r.workspaceId ? known.workspace : await this.deps.store.workspaces.findById(r.workspaceId);
    return ws ? { r, ws } : null;
  }
}
