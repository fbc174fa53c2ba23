/**
 * The ReviewNotifier port on Slack: the question to a technical user's owner (a DM; the
 * notification channels when it has no owner) and the notice when nobody answered. Each goes
 * through the outbound path (outbound/), like every message Keywarden posts on its own, so it is
 * paced with the rest and rendered from the store when it is sent.
 */
import type { ReviewNotifier, ReviewSubject } from '../app/ports.js';
import type { Workspace } from '../domain/workspace.js';
import type { Outbound } from './outbound/outbound.js';

export class SlackReviewNotifier implements ReviewNotifier {
  constructor(private readonly outbound: Pick<Outbound, 'send'>) {}

  async askOwner(ws: Workspace, s: ReviewSubject, reminder: boolean) {
    // Posting to a user id lands in the DM between that user and the bot.
    const channels = s.record.owner ? [s.record.owner] : ws.slack.notificationChannels;
    for (const channel of channels) {
      await this.outbound.send(
        { kind: 'review', step: reminder ? 'remind' : 'ask', technicalUserId: s.technicalUser.id, channel, at: s.now.toISOString() }, { workspace: ws },
      );
    }
  }

  async reviewOverdue(ws: Workspace, s: ReviewSubject) {
    for (const channel of ws.slack.notificationChannels) {
      await this.outbound.send({ kind: 'review', step: 'overdue', technicalUserId: s.technicalUser.id, channel, at: s.now.toISOString() }, { workspace: ws });
    }
  }
}
