/**
 * Access reviews of people's permissions: a workspace's `policy.accessReviews` names campaigns
 * (which roles and statuses, who reviews, how long they have, what happens to what nobody
 * reviewed). A campaign snapshots the permissions it covers when it starts (its items); each item
 * is decided once (compare-and-set on the item): kept, changed to another role, archived, or, at
 * the due date or when the campaign is stopped, left unreviewed with the campaign's `unreviewed`
 * action. Changes are carried out as ordinary requests whose source is the campaign.
 */
import type { PermissionStatus, Role } from './permission.js';

export const UNREVIEWED_ACTIONS = ['keep', 'archive', 'downgrade:VIEWER', 'downgrade:MEMBER'] as const;
export type UnreviewedAction = (typeof UNREVIEWED_ACTIONS)[number];

/** One entry of `policy.accessReviews`, defaults filled in by the seed. */
export interface AccessReviewDefinition {
  name: string;
  /** A campaign starts once in every period of this many days (counted from 1970-01-01 UTC). */
  everyDays: number;
  /** The roles it covers; all when absent. */
  roles?: Role[];
  statuses: PermissionStatus[];
  /** Slack user ids (U…) and user group ids (S…); empty: the workspace's approvers. */
  reviewers: string[];
  dueDays: number;
  unreviewed: UnreviewedAction;
}

export type CampaignStatus = 'OPEN' | 'CLOSED' | 'STOPPED';

export interface Campaign {
  /** A UUID; when started by schedule, derived from (workspace, name, period), so every worker agrees on it. */
  id: string;
  workspaceId: string;
  name: string;
  /** The schedule's period it belongs to; null when started by command. */
  period: number | null;
  status: CampaignStatus;
  /** `<workspaceId>:<name>` while OPEN (unique: one open campaign per name), null after. */
  openKey: string | null;
  definition: Omit<AccessReviewDefinition, 'everyDays' | 'name'>;
  /** The people who review it (user groups read when it started). */
  reviewers: string[];
  startedBy: string;
  startedAt: Date;
  dueAt: Date;
  /** False until every item is stored; a start cut short is finished by the sweep. */
  ready: boolean;
  itemCount: number;
  closedAt: Date | null;
  /** Who stopped it; null when it closed at its due date. */
  closedBy: string | null;
  /**
   * Set (by compare-and-set) when the campaign is to end: its undecided items are then given their
   * end (the unreviewed action at the due date; left unreviewed when stopped), and it closes.
   */
  closing: { status: 'CLOSED' | 'STOPPED'; by: string | null; at: Date } | null;
  /** Once-only steps (announced, reminders, summary), claimed by compare-and-set. */
  steps: Record<string, Date>;
  version: number;
}

export type Verdict = 'keep' | 'change' | 'archive' | 'unreviewed';

export interface ItemDecision {
  verdict: Verdict;
  /** The new role of a change (and of an unreviewed item downgraded). */
  role: Role | null;
  /** The reviewer, or Keywarden for the due date's action. */
  by: string;
  at: Date;
  /** One item's buttons, "Keep all on this page", the due date, or the campaign stopped. */
  how: 'item' | 'page' | 'due' | 'stopped';
  /** The unreviewed action taken (`keep` flags it in the evidence). */
  action: UnreviewedAction | null;
  /** The request that carries a change out (its id decided with the item). */
  requestId: string | null;
  /** False while that request is still to be stored and queued (a worker stopped in between). */
  carried: boolean;
}

/** How the subject came to hold the role, from history: the request, who asked, who approved. */
export interface RoleOrigin {
  at: Date;
  requestId: string | null;
  requester: string | null;
  approvers: string[];
}

export interface CampaignItem {
  /** `<campaignId>/<permissionId>`. */
  id: string;
  campaignId: string;
  workspaceId: string;
  /** Its place in the campaign (1, 2, …): pages are read by it through an index. */
  seq: number;
  permissionId: string;
  userId: string;
  email: string;
  name: string;
  role: Role;
  status: PermissionStatus;
  lastLogin: Date | null;
  origin: RoleOrigin | null;
  grant: { until: Date; requestId: string } | null;
  decision: ItemDecision | null;
  version: number;
}

const DAY = 86_400_000;

export const periodOf = (def: Pick<AccessReviewDefinition, 'everyDays'>, now: Date): number => Math.floor(now.getTime() / (def.everyDays * DAY));
export const openKey = (workspaceId: string, name: string): string => `${workspaceId}:${name}`;
export const itemId = (campaignId: string, permissionId: string): string => `${campaignId}/${permissionId}`;

export const covers = (d: Pick<AccessReviewDefinition, 'roles' | 'statuses'>, p: { role: Role; status: PermissionStatus }): boolean =>
  (!d.roles || d.roles.includes(p.role)) && d.statuses.includes(p.status);

/** When reviewers are reminded: at half time, and a day before the due date (never before half time). */
export function reminderTimes(c: Pick<Campaign, 'startedAt' | 'dueAt'>): { half: Date; dayBefore: Date } {
  const start = c.startedAt.getTime();
  const due = c.dueAt.getTime();
  const half = start + (due - start) / 2;
  return { half: new Date(half), dayBefore: new Date(Math.max(half + 1, due - DAY)) };
}

/** What the unreviewed action does to an item: nothing, archive it, or lower its role. */
export function unreviewedChange(action: UnreviewedAction, item: Pick<CampaignItem, 'role' | 'status'>): { verdict: 'archive' } | { verdict: 'change'; role: Role } | null {
  if (action === 'keep') return null;
  if (action === 'archive') return item.status === 'ARCHIVED' ? null : { verdict: 'archive' };
  const role: Role = action === 'downgrade:VIEWER' ? 'VIEWER' : 'MEMBER';
  const rank = { VIEWER: 0, MEMBER: 1, ADMIN: 2 } as const;
  return rank[item.role] > rank[role] ? { verdict: 'change', role } : null;
}
