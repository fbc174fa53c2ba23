/**
 * The Notifier port on Slack: every message goes through the outbound path (outbound/), which
 * sends it at once while Slack is not limiting, and otherwise queues it to be sent in its turn.
 */
import type { Notifier } from '../app/ports.js';
import type { GrantEnd } from '../domain/grant.js';
import type { ChangeRequest } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import type { Outbound } from './outbound/outbound.js';

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

  /** The grant's end: a DM to its requester and a line in the approval message's thread. */
  async grantEnded(r: ChangeRequest, ws: Workspace, end: GrantEnd, revertedTo: string) {
    const known = { request: r, workspace: ws };
    await Promise.all([
      this.outbound.send({ kind: 'grant-ended', to: 'requester', requestId: r.id, end, revertedTo }, known),
      r.slack ? this.outbound.send({ kind: 'grant-ended', to: 'thread', requestId: r.id, end, revertedTo }, known) : undefined,
    ]);
  }

  async remindApprovers(r: ChangeRequest, ws: Workspace, now: Date) {
    await this.outbound.send({ kind: 'reminder', requestId: r.id, at: now.toISOString() }, { request: r, workspace: ws });
  }

  async notifyChannels(ws: Workspace, text: string) {
    for (const channel of ws.slack.notificationChannels) await this.outbound.send({ kind: 'notice', channel, text });
  }

  async tokenExpiring(ws: Workspace, tu: TechnicalUser, days: number, now: Date) {
    for (const channel of ws.slack.notificationChannels) {
      await this.outbound.send({ kind: 'expiry', workspaceId: ws.id, channel, at: now.toISOString(), tokens: [{ technicalUserId: tu.id, days }] }, { workspace: ws });
    }
  }
}
