import type { GrantService } from '../app/grants.js';
import type { OwnershipReviewService } from '../app/ownership-reviews.js';
import type { PermissionService } from '../app/permissions.js';
import type { Clock, Directory, Log, Store } from '../app/ports.js';
import type { RequestService } from '../app/requests.js';
import type { BreakGlassService } from '../app/break-glass.js';
import type { TechnicalUserService } from '../app/technical-users.js';
import type { WorkflowSteps } from '../app/workflow-steps.js';
import type { Outbound } from './outbound/outbound.js';
import type { Drift } from '../leanix/drift.js';
import type { SyncState } from '../leanix/sync-state.js';
import type { People } from '../app/ports/people.js';
import type { AccessReviewService } from '../app/access-reviews.js';
import type { AccessReviewClosing } from '../app/access-review-closing.js';
import type { AccessReviewDecisions } from '../app/access-review-decisions.js';
import type { PeopleSearch } from '../app/people-search.js';

/** What Slack listeners are given; they read nothing else (no process.env, no globals). */
export interface SlackDeps {
  store: Store;
  permissions: PermissionService;
  requests: RequestService;
  technicalUsers: TechnicalUserService;
  grants: GrantService;
  reviews: OwnershipReviewService;
  clock: Clock;
  log: Log;
  /** What Keywarden posts on its own (Home tabs), and how long the approvals lane's queue is. */
  outbound: Outbound;
  /** User groups' members, for policy rules that name groups (forgotten when a group changes). */
  directory: Directory;
  /** Reviews of break-glass changes (Reviewed, Revert now). */
  breakGlass: BreakGlassService;
  /** The Workflow Builder step's requests (app/workflow-steps.ts). */
  workflowSteps: WorkflowSteps;
  /**
   * A connected workspace's own changelog of a technical user, from LeanIX (newest first); null
   * when the workspace is not connected. Absent: no workspace is.
   */
  leanixChangelog?: (workspaceId: string, technicalUserId: string) => Promise<LeanixChangelogLine[] | null>;
  /** The LeanIX mirror: when each workspace was last synced, and its drift (absent: no workspace is connected). */
  mirror?: { state: Pick<SyncState, 'lastSynced'>; drift: Pick<Drift, 'recent'> };
  /** Who a Slack user is (forgotten when Slack says they changed). */
  people: People;
  /** Access reviews of people's permissions: started, reported, stopped, decided. */
  accessReviews: AccessReviewService;
  accessReviewClosing: AccessReviewClosing;
  accessReviewDecisions: AccessReviewDecisions;
  /** A workspace's people, searched as one types in the `/permission role` form's picker. */
  peopleSearch: PeopleSearch;
}

/** One line of LeanIX's changelog of a technical user, as /techuser history shows it. */
export interface LeanixChangelogLine { type: string; at: Date | null; actor: string | null }
