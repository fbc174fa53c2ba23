import type { WebhookConfig } from './webhook.js';
import type { LeanixConnection } from './leanix-connection.js';
import type { Role } from './permission.js';
import type { PolicyRule } from './policy.js';
import type { AccessReviewDefinition } from './access-review.js';

export interface WorkspacePolicy {
  /** Distinct approvers needed before a request is applied (1 or 2). */
  requiredApprovals: number;
  /** A request not decided within this many hours expires. */
  requestTtlHours: number;
  /** Days before a token's expiry at which notification channels are warned (0 = on expiry). */
  expiryWarningDays: number[];
  /**
   * Hours before a pending request expires at which its approvers are reminded, once (0 = never).
   * Absent on workspaces stored before reminders existed: the default applies.
   */
  reminderHoursBeforeExpiry?: number;
  /** The longest a role may be granted for, in hours (default 168; see grant.ts). */
  maxGrantHours?: number;
  /** Roles that may only be granted for a time (e.g. ["ADMIN"]); default none. */
  temporaryOnlyRoles?: Role[];
  /**
   * Every this many days each technical user's owner confirms it is still needed (0 = no reviews).
   * Absent on workspaces stored before reviews existed: the default applies.
   */
  techUserReviewDays?: number;
  /**
   * Days after a technical user was marked unreviewed at which Keywarden opens a delete request for
   * it (approved by people like any other). 0 or absent: never.
   */
  deleteUnreviewedAfterDays?: number;
  /** Ordered; the first rule that matches a request decides its approval (domain/policy.ts). */
  rules?: PolicyRule[];
  /** The longest a break-glass grant may last, in hours (default 4). */
  maxBreakGlassHours?: number;
  /** Hours after which an unreviewed break-glass change is reminded, once per such period (default 24). */
  breakGlassReviewHours?: number;
  /** Scheduled access reviews of people's permissions (domain/access-review.ts). */
  accessReviews?: AccessReviewDefinition[];
}

export const DEFAULT_POLICY: WorkspacePolicy = {
  requiredApprovals: 1,
  requestTtlHours: 72,
  expiryWarningDays: [30, 7, 1, 0],
  reminderHoursBeforeExpiry: 24,
  maxGrantHours: 168,
  temporaryOnlyRoles: [],
  techUserReviewDays: 90,
  deleteUnreviewedAfterDays: 0,
};

export interface Workspace {
  id: string;
  name: string;
  /**
   * `enterpriseId`: the Enterprise Grid organisation (`E…`) of Slack workspace `teamId`, named when
   * Keywarden is installed org-wide there (its messages then go with the organisation's token).
   */
  slack: { teamId: string; enterpriseId?: string; approvalsChannel: string; notificationChannels: string[] };
  /** Slack user ids allowed to ask for changes. */
  admins: string[];
  /** Slack user ids allowed to decide requests (never their own). */
  approvers: string[];
  policy: WorkspacePolicy;
  /**
   * When the workspace left the seed file. A retired workspace answers nothing (no commands,
   * approvals, warnings or API calls) but its records are kept; back in the file, it is active
   * again. Absent on active workspaces.
   */
  retiredAt?: Date | null;
  /** Where its history lines and request status changes are pushed (domain/webhook.ts). */
  webhooks?: WebhookConfig[];
  /** Set when the workspace is connected to a SAP LeanIX workspace (domain/leanix-connection.ts). */
  leanix?: LeanixConnection | null;
  /** Slack user id to email, from the seed file: who is who, ahead of what Slack says (domain/identity.ts). */
  slackUsers?: Record<string, string>;
}

export const isConnected = (ws: Workspace): ws is Workspace & { leanix: LeanixConnection } => ws.leanix != null;

export const isRetired = (ws: Workspace): boolean => ws.retiredAt != null;

export const isAdmin = (ws: Workspace, slackUserId: string) => ws.admins.includes(slackUserId);
export const isApprover = (ws: Workspace, slackUserId: string) => ws.approvers.includes(slackUserId);
