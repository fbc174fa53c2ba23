/**
 * The Notifier port on Slack: every message goes through the outbound path (outbound/), which
 * sends it at once while Slack is not limiting, and otherwise queues it to be sent in its turn.
 */
import { MessageRefusedError, type GrantEndedTo, type Notifier, type PolicyLinePlace } from '../app/ports.js';
import type { GrantEnd } from '../domain/grant.js';
import type { ChangeRequest } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import { DIGEST_TOKENS_PER_MESSAGE } from './blocks/expiry-digest.js';
import { DRIFT_LINES_PER_MESSAGE } from './blocks/drift.js';
import type { Outbound } from './outbound/outbound.js';
import { SlackPlatformError } from './slack-client.js';

/** More tokens than this of one workspace due in one scan make a digest instead of a message each. */
export const DIGEST_AFTER = 3;

export class SlackNotifier implements Notifier {
  constructor(private readonly outbound: Outbound) {}

  async requestCreated(r: ChangeRequest, ws: Workspace) {
    const sent = await this.outbound.send({ kind: 'approval', requestId: r.id }, { request: r, workspace: ws });
    return sent.sent ? sent.ref : null;
  }

  async requestUpdated(r: ChangeRequest, ws: Workspace) {
    await this.outbound.send({ kind: 'rewrite', requestId: r.id }, { request: r, workspace: ws });
  }

  async tellRequester(r: ChangeRequest, ws: Workspace) {
    await this.outbound.send({ kind: 'dm', requestId: r.id }, { request: r, workspace: ws });
  }

  /** The grant's end: a DM to its requester, or a line in the approval message's thread. */
  async grantEnded(r: ChangeRequest, ws: Workspace, end: GrantEnd, revertedTo: string, to: GrantEndedTo) {
    await refusedForGood(this.outbound.send({ kind: 'grant-ended', to, requestId: r.id, end, revertedTo }, { request: r, workspace: ws }));
  }

  async remindApprovers(r: ChangeRequest, ws: Workspace, now: Date) {
    await this.outbound.send({ kind: 'reminder', requestId: r.id, at: now.toISOString() }, { request: r, workspace: ws });
  }

  /** A break-glass change: a line in its thread, or the same in a notification channel. */
  async breakGlassUsed(r: ChangeRequest, ws: Workspace, where: PolicyLinePlace) {
    await refusedForGood(this.outbound.send({ kind: 'policy', requestId: r.id, event: 'break-glass', where }, { request: r, workspace: ws }));
  }

  async breakGlassUnreviewed(r: ChangeRequest, ws: Workspace, hours: number, where: PolicyLinePlace) {
    await refusedForGood(this.outbound.send({ kind: 'policy', requestId: r.id, event: 'unreviewed', hours, where }, { request: r, workspace: ws }));
  }

  /** Only in the thread: the people it names are mentioned there. */
  async escalated(r: ChangeRequest, ws: Workspace, to: string[]) {
    await this.outbound.send({ kind: 'policy', requestId: r.id, event: 'escalated', to, where: 'thread' }, { request: r, workspace: ws });
  }

  async notifyChannels(ws: Workspace, text: string) {
    for (const channel of ws.slack.notificationChannels) await this.outbound.send({ kind: 'notice', channel, text, teamId: ws.slack.teamId, ...(ws.slack.enterpriseId && { enterpriseId: ws.slack.enterpriseId }) });
  }

  /** Drift: one message a change at once, or the day's digest in parts of DRIFT_LINES_PER_MESSAGE. */
  async driftFound(ws: Workspace, entryIds: string[], digest?: { day: string }) {
    const size = digest ? DRIFT_LINES_PER_MESSAGE : 1;
    const parts = Math.ceil(entryIds.length / size);
    for (const channel of ws.slack.notificationChannels) {
      for (let i = 0; i < parts; i++) {
        const entries = entryIds.slice(i * size, (i + 1) * size);
        await this.outbound.send({ kind: 'drift', workspaceId: ws.id, channel, entries, ...(digest && { day: digest.day, part: i + 1, parts }) }, { workspace: ws });
      }
    }
  }

  async tellSubject(r: ChangeRequest, ws: Workspace, to: string, until: Date | null) {
    await this.outbound.send({ kind: 'subject', requestId: r.id, userId: to, ...(until && { until: until.toISOString() }) }, { request: r, workspace: ws });
  }

  async findSubject(r: ChangeRequest, ws: Workspace) {
    await this.outbound.send({ kind: 'subject', requestId: r.id }, { request: r, workspace: ws });
  }

  /** Up to DIGEST_AFTER tokens: a message each. More: digests of up to 24 tokens (50 blocks) each. */
  async tokensExpiring(ws: Workspace, warnings: Array<{ tu: TechnicalUser; days: number }>, now: Date) {
    const tokens = warnings.map(({ tu, days }) => ({ technicalUserId: tu.id, days }));
    const size = tokens.length > DIGEST_AFTER ? DIGEST_TOKENS_PER_MESSAGE : 1;
    for (const channel of ws.slack.notificationChannels) {
      for (let i = 0; i < tokens.length; i += size) {
        await this.outbound.send({ kind: 'expiry', workspaceId: ws.id, channel, at: now.toISOString(), tokens: tokens.slice(i, i + size) }, { workspace: ws });
      }
    }
  }
}

/** Slack's `ok: false` (is_archived, channel_not_found, …) is an answer for good: said so to the use case. */
async function refusedForGood<T>(sent: Promise<T>): Promise<T> {
  try {
    return await sent;
  } catch (err) {
    if (err instanceof SlackPlatformError) throw new MessageRefusedError(err.message, { cause: err });
    throw err;
  }
}
