/**
 * The ReviewNotifier port on Slack's Web API: the question to a technical user's owner (a DM; the
 * notification channels when it has no owner) and the notice when nobody answered. It sends
 * through the same client as SlackNotifier, so whatever paces that client paces these too.
 */
import type { ReviewNotifier, ReviewSubject } from '../app/ports.js';
import type { Workspace } from '../domain/workspace.js';
import { reviewOverdueText, reviewQuestionBlocks } from './blocks/reviews.js';
import type { SlackMessages } from './slack-client.js';

export class SlackReviewNotifier implements ReviewNotifier {
  constructor(private readonly client: SlackMessages) {}

  async askOwner(ws: Workspace, s: ReviewSubject, reminder: boolean) {
    const message = reviewQuestionBlocks(ws, s.record, s.technicalUser, s.now, reminder);
    // Posting to a user id lands in the DM between that user and the bot.
    const channels = s.record.owner ? [s.record.owner] : ws.slack.notificationChannels;
    for (const channel of channels) await this.client.chat.postMessage({ channel, ...message });
  }

  async reviewOverdue(ws: Workspace, s: ReviewSubject) {
    const text = reviewOverdueText(ws, s.record, s.technicalUser, s.now);
    for (const channel of ws.slack.notificationChannels) await this.client.chat.postMessage({ channel, text });
  }
}
