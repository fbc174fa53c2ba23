/** The Notifier port on Slack's Web API: approval messages, DMs to requesters, channel notices. */
import type { Notifier } from '../app/ports.js';
import type { ChangeRequest } from '../domain/request.js';
import { TOKEN_KINDS } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import type { GrantEnd } from '../domain/grant.js';
import { isGrantRequest } from '../domain/request.js';
import { grantButtons, grantEndedText } from './blocks/grants.js';
import { approvalRequestBlocks, reminderText, requestText, requesterText } from './blocks/request.js';
import { expiryWarningBlocks, revealBlocks } from './blocks/techusers.js';
import type { SlackMessages } from './slack-client.js';

export class SlackNotifier implements Notifier {
  constructor(
    private readonly client: SlackMessages,
    private readonly revealBy: (r: ChangeRequest) => Promise<Date | null> = async () => null,
  ) {}

  async requestCreated(r: ChangeRequest, ws: Workspace) {
    const res = await this.client.chat.postMessage({
      channel: ws.slack.approvalsChannel,
      text: requestText(r, ws),
      blocks: approvalRequestBlocks(r, ws),
    });
    if (!res.channel || !res.ts) throw new Error('chat.postMessage returned no channel or ts');
    return { channel: res.channel, ts: res.ts };
  }

  async requestUpdated(r: ChangeRequest, ws: Workspace) {
    if (!r.slack) return;
    await this.client.chat.update({
      channel: r.slack.channel,
      ts: r.slack.ts,
      text: requestText(r, ws),
      blocks: approvalRequestBlocks(r, ws),
    });
  }

  async tellRequester(r: ChangeRequest, ws: Workspace) {
    const text = requesterText(r, ws);
    // Posting to a user id lands in the DM between that user and the bot.
    if (r.status === 'APPLIED' && TOKEN_KINDS.includes(r.kind) && 'userName' in r.params) {
      await this.client.chat.postMessage({
        channel: r.requester,
        text,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, ...revealBlocks(r.params.userName, r.id, await this.revealBy(r))],
      });
      return;
    }
    if (r.status === 'APPLIED' && isGrantRequest(r) && r.kind !== 'permission.extend' && r.kind !== 'techuser.extend') {
      await this.client.chat.postMessage({ channel: r.requester, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, grantButtons(r.id)] });
      return;
    }
    await this.client.chat.postMessage({ channel: r.requester, text });
  }

  /** The grant's end: a DM to its requester and a line in the approval message's thread. */
  async grantEnded(r: ChangeRequest, ws: Workspace, end: GrantEnd, revertedTo: string) {
    const text = grantEndedText(r, ws, end, revertedTo);
    await Promise.all([
      this.client.chat.postMessage({ channel: r.requester, text }),
      r.slack ? this.client.chat.postMessage({ channel: r.slack.channel, thread_ts: r.slack.ts, text }) : undefined,
    ]);
  }

  /** In the approval message's thread when there is one, so the reminder sits with its buttons. */
  async remindApprovers(r: ChangeRequest, ws: Workspace, now: Date) {
    const text = reminderText(r, ws, now);
    await this.client.chat.postMessage(
      r.slack ? { channel: r.slack.channel, thread_ts: r.slack.ts, text } : { channel: ws.slack.approvalsChannel, text },
    );
  }

  async notifyChannels(ws: Workspace, text: string) {
    for (const channel of ws.slack.notificationChannels) await this.client.chat.postMessage({ channel, text });
  }

  async tokenExpiring(ws: Workspace, tu: TechnicalUser, days: number, now: Date) {
    const message = expiryWarningBlocks(ws, tu, days, now);
    for (const channel of ws.slack.notificationChannels) await this.client.chat.postMessage({ channel, ...message });
  }
}
