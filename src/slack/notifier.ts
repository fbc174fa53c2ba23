/** The Notifier port on Slack's Web API: approval messages and DMs to requesters. */
import type { webApi } from '@slack/bolt';
import type { Notifier } from '../app/ports.js';
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import { approvalRequestBlocks, requestText, requesterText } from './blocks/request.js';

export class SlackNotifier implements Notifier {
  constructor(private readonly client: webApi.WebClient) {}

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
    // Posting to a user id lands in the DM between that user and the bot.
    await this.client.chat.postMessage({ channel: r.requester, text: requesterText(r, ws) });
  }
}
