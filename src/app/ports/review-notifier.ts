/**
 * What the review of technical users tells people. A port of its own beside Notifier, so the two
 * grow apart without colliding; the Slack adapter (slack/review-notifier.ts) sends through the
 * same Web API client as the Notifier.
 */
import type { OwnershipRecord } from '../../domain/ownership-review.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { Workspace } from '../../domain/workspace.js';

/** One technical user under review, with what the owner needs to decide. */
export interface ReviewSubject {
  record: OwnershipRecord;
  technicalUser: TechnicalUser;
  now: Date;
}

export interface ReviewNotifier {
  /**
   * Asks the owner, by DM, whether the technical user is still needed (role, last used, token
   * expiry), with Keep, Delete and Transfer buttons; `reminder` on the one reminder. With no owner
   * the notification channels are asked instead.
   */
  askOwner(ws: Workspace, s: ReviewSubject, reminder: boolean): Promise<void>;
  /** Tells the notification channels that nobody confirmed the technical user: it is now unreviewed. */
  reviewOverdue(ws: Workspace, s: ReviewSubject): Promise<void>;
}
