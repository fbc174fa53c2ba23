/** What access reviews tell people (app/access-reviews.ts); on Slack through the outbound path. */
import type { Campaign } from '../../domain/access-review.js';
import type { Workspace } from '../../domain/workspace.js';

export type ReviewerStep = 'ask' | 'half' | 'dayBefore';

export interface AccessReviewNotifier {
  /**
   * A reviewer's DM: at the start ("quarterly-admins: 37 items to review by Dec 21", with a button
   * that opens their items), or a reminder (`half`, `dayBefore`) of the `items` still undecided.
   */
  tellReviewer(ws: Workspace, c: Campaign, reviewer: string, step: ReviewerStep, items: number): Promise<void>;
  /** The campaign's summary to the notification channels (a text Keywarden wrote). */
  summary(ws: Workspace, text: string): Promise<void>;
}
