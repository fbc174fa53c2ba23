/**
 * The AccessReviewNotifier port on Slack: the reviewer's DM and the summary, through the one
 * outbound path (paced with everything else, rendered when sent).
 */
import type { AccessReviewNotifier, ReviewerStep } from '../app/ports.js';
import type { Campaign } from '../domain/access-review.js';
import type { Workspace } from '../domain/workspace.js';
import type { Outbound } from './outbound/outbound.js';

export class SlackAccessReviewNotifier implements AccessReviewNotifier {
  constructor(private readonly outbound: Pick<Outbound, 'send'>) {}

  async tellReviewer(ws: Workspace, c: Campaign, reviewer: string, step: ReviewerStep, items: number) {
    await this.outbound.send({ kind: 'access-review', step, campaignId: c.id, userId: reviewer, items }, { workspace: ws });
  }

  async summary(ws: Workspace, text: string) {
    for (const channel of ws.slack.notificationChannels) await this.outbound.send({ kind: 'notice', channel, text, teamId: ws.slack.teamId, ...(ws.slack.enterpriseId && { enterpriseId: ws.slack.enterpriseId }) });
  }
}
