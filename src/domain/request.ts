import { Codes, DomainError } from './errors.js';
import type { Role } from './permission.js';
import type { Workspace } from './workspace.js';
import { isAdmin } from './workspace.js';
import type { RequestRule } from './policy.js';
import type { Actor } from './history.js';

/**
 * An existing technical user, by name as typed and by the id the name had when the request was
 * made (set at submit; absent on older requests): the change is carried out on that one, never on
 * another created since under the same name (app/technical-user-subject.ts).
 */
interface TechUserRef {
  userName: string;
  technicalUserId?: string;
}

/** What each kind of request asks for. Secrets never appear here: requests are stored and queued. */
export interface ParamsByKind {
  /** With `minutes`, a time-bound grant: the role for that long, then back (domain/grant.ts). */
  'permission.role': { email: string; role: Role; minutes?: number };
  'permission.archive': { email: string };
  'permission.activate': { email: string };
  'permission.invite': { email: string; role: Role };
  'techuser.create': {
    userName: string;
    role: Role;
    /** The expiry date as typed (YYYY-MM-DD); the token works through the end of that UTC day. */
    expiry: string;
    description: string;
    customerRoles: string[];
    accessControlEntities: string[];
  };
  'techuser.rotate': TechUserRef;
  'techuser.expiry': TechUserRef & { expiry: string };
  'techuser.role': TechUserRef & { role: Role; minutes?: number };
  /**
   * More time for the active grant made by request `grantId`, which gives `grantRole`: an extension
   * is approved under its grant's rule (domain/policy.ts), so the role is kept where the rule can
   * be read from the request alone, and checked against the grant before anything is changed.
   * Absent on extensions asked for before that (they are refused when carried out).
   */
  'permission.extend': { email: string; grantId: string; minutes: number; grantRole: Role };
  'techuser.extend': { userName: string; grantId: string; minutes: number; grantRole: Role };
  'techuser.delete': TechUserRef;
  /** Transfers ownership (domain/ownership-review.ts) to another Slack user. */
  'techuser.owner': TechUserRef & { owner: string };
  /** Changes what is given of description, customer roles and access control entities; absent fields stay. */
  'techuser.update': TechUserRef & { description?: string; customerRoles?: string[]; accessControlEntities?: string[] };
}

/** Requests carried out as grants (domain/grant.ts): a role for a time, and more time for one. */
export const isGrantRequest = (r: NewRequest): boolean =>
  r.kind === 'permission.extend' || r.kind === 'techuser.extend' ||
  ((r.kind === 'permission.role' || r.kind === 'techuser.role') && r.params.minutes !== undefined);

/** Technical-user kinds carried out by technical-user-changes.ts rather than technical-user-requests.ts. */
export const TECHUSER_CHANGE_KINDS = ['techuser.owner', 'techuser.update'] as const;
export type TechuserChangeKind = (typeof TECHUSER_CHANGE_KINDS)[number];
export const isTechuserChange = (kind: string): kind is TechuserChangeKind => (TECHUSER_CHANGE_KINDS as readonly string[]).includes(kind);

/**
 * The requester of a request Keywarden opens itself (a delete request for a technical user left
 * unreviewed). Never a Slack user id (those start with U or W), so no slash command can claim it;
 * such a request is approved by people like any other, and nobody is sent its outcome by DM.
 */
export const SYSTEM_REQUESTER = 'keywarden';
/**
 * The requester of a request a technical user made over the API with no admin named behind it
 * (api-requests.ts). Like SYSTEM_REQUESTER it is nobody in Slack: it has no DM, cannot decide,
 * and its request is approved by people like any other.
 */
export const TECHUSER_REQUESTER_PREFIX = 'techuser:';
export const technicalUserRequester = (technicalUserId: string): string => `${TECHUSER_REQUESTER_PREFIX}${technicalUserId}`;
/** No person behind it: Keywarden itself, or a technical user over the API. */
export const isSystemRequester = (requester: string): boolean =>
  requester === SYSTEM_REQUESTER || requester.startsWith(TECHUSER_REQUESTER_PREFIX);

/**
 * Who history names as having asked: the Slack user, or the technical user itself for a request
 * it made over the API with no admin behind it (Keywarden's own requests keep their Slack-shaped
 * 'keywarden' id, as before).
 */
export function requesterActor(r: Pick<RequestBase, 'requester' | 'origin'>): Actor {
  if (r.requester.startsWith(TECHUSER_REQUESTER_PREFIX) && r.origin?.via === 'api') {
    return { type: 'technicalUser', id: r.origin.technicalUser.id, name: r.origin.technicalUser.userName };
  }
  return { type: 'slack', id: r.requester };
}

/** A status change of a request, owed to the webhooks' event log. */
export interface OwedEvent { status: RequestStatus; at: Date }

/** Where a request came from when not from a slash command, button or form. */
export type RequestOrigin =
  | { via: 'api'; technicalUser: { id: string; userName: string } }
  | { via: 'workflow'; functionExecutionId: string; workflowUser: string };

/** Kinds whose application creates a new API token for the requester to reveal. */
export const TOKEN_KINDS: readonly RequestKind[] = ['techuser.create', 'techuser.rotate'];
export type RequestKind = keyof ParamsByKind;

export const REQUEST_STATUSES = [
  'PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'APPLIED', 'FAILED',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Status only moves forward along these edges. */
const NEXT: Record<RequestStatus, readonly RequestStatus[]> = {
  PENDING: ['APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED'],
  APPROVED: ['APPLIED', 'FAILED'],
  REJECTED: [],
  EXPIRED: [],
  CANCELLED: [],
  APPLIED: [],
  FAILED: [],
};
export const canTransition = (from: RequestStatus, to: RequestStatus) => NEXT[from].includes(to);
export const isFinal = (s: RequestStatus) => NEXT[s].length === 0;

export interface Approval {
  by: string;
  at: Date;
}

/**
 * A message about a request that Slack would not take, after every retry: kept on the request so
 * an operator (and a later reader of the record) can see who was never told what.
 */
export interface UndeliveredMessage {
  /** The approval message in the approvals channel, or the requester's DM with the outcome. */
  message: 'approval-message' | 'requester-dm';
  /** The request's status the message was to show. */
  status: RequestStatus;
  /** What Slack (or the network) answered, shortened. */
  error: string;
  at: Date;
}

interface RequestBase {
  id: string;
  workspaceId: string;
  /** Slack user id of the admin who asked. */
  requester: string;
  reason: string | null;
  status: RequestStatus;
  approvals: Approval[];
  /** Who made the final decision (the last approver, or the rejecter). */
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
  /** Where the approval message lives, so it can be rewritten. */
  slack: { channel: string; ts: string } | null;
  /** Human-readable result: what was applied, or why it failed. */
  outcome: string | null;
  appliedAt: Date | null;
  /** Set once the requester has been told the final outcome (a retried job then stays quiet). */
  notifiedAt: Date | null;
  /** Messages that could not be posted (absent on requests that never had one). */
  undelivered?: UndeliveredMessage[];
  /** When the approvers are to be reminded while it is still pending; null once they were, or never. */
  remindAt?: Date | null;
  /** Once-only messages claimed so far (RequestRepository.claimNotice), by key. */
  notices?: Record<string, Date>;
  /**
   * Status changes owed to the webhooks' event log (webhooks/noting-store.ts): each written in
   * the same write as the change itself, and taken off once its note is in the log, so a change
   * whose note was lost (Redis unreachable, a process killed) is found here and noted later.
   * Absent where no workspace has webhooks.
   */
  unnoted?: OwedEvent[];
  /** The policy rule that applied at submit (domain/policy.ts); absent on older requests. */
  rule?: RequestRule;
  /** Made with `breakglass`: applied at once, awaiting an approver's review until reviewed. */
  breakGlass?: BreakGlass;
  /** When the pending request is to be escalated; null once it was, or never. */
  escalateAt?: Date | null;
  /**
   * Set on a request that needs no approval (a rule's `approvals: 0`, break-glass): submit approves
   * it at once, and a process that stopped before it did leaves it for the outbox sweep to finish.
   */
  approveAt?: Date | null;
  /** Where it came from (the API, a workflow step); absent for Slack's own commands and forms. */
  origin?: RequestOrigin;
  /**
   * What the approvers saw of the subject when it was asked (e.g. `{ role: 'VIEWER' }`): in a
   * workspace connected to LeanIX the change is made only while LeanIX still shows this. Absent
   * on requests older than it (the record as it is stands in).
   */
  seen?: Record<string, string> | null;
  /**
   * The Slack user whose permission the request changes, as far as Keywarden knew at submit
   * (domain/identity.ts): named on the approval message as someone who may not decide it.
   */
  subjectUser?: string | null;
  /**
   * Made by an access review (domain/access-review.ts) rather than asked for: decided by its
   * reviewer (or, for the due date's action, by Keywarden) and applied without another approval.
   */
  source?: { type: 'accessReview'; campaignId: string; itemId: string; name: string };
  version: number;
}

export type ChangeRequest = {
  [K in RequestKind]: RequestBase & { kind: K; params: ParamsByKind[K] };
}[RequestKind];

/** What an admin asks for: a kind and its parameters. */
export type NewRequest = { [K in RequestKind]: { kind: K; params: ParamsByKind[K] } }[RequestKind];

export interface BreakGlass {
  reviewedBy: string | null;
  reviewedAt: Date | null;
  /** 'reviewed' (kept) or 'reverted' (Revert now), once reviewed. */
  verdict: 'reviewed' | 'reverted' | null;
  /**
   * Its announcement is owed (set at submit): the break-glass sweep announces it in every place
   * not yet claimed. Absent on changes announced before each place had its own claim.
   */
  announce?: boolean;
}

/** The part of a request a decision changes. */
export interface Decision {
  status: RequestStatus;
  approvals: Approval[];
  decidedBy: string | null;
  decidedAt: Date | null;
}

/**
 * Who may decide a request now, as the app layer resolved it from the matching policy rule
 * (domain/policy.ts): the people (user groups expanded with their current members) and how many
 * distinct approvals among them make it APPROVED.
 */
export interface Deciders {
  approvals: number;
  people: ReadonlySet<string>;
  /** How the rule names them, for refusals: "@security-leads" or "approvers of workspace x". */
  label: string;
}

/**
 * Pure decision rule. Only the people the request's rule names decide, never on their own
 * request; each person counts once; the rule says how many distinct approvals make a request
 * APPROVED; one rejection is final. Throws a DomainError for every refusal.
 */
export function decide(
  r: Pick<ChangeRequest, 'status' | 'requester' | 'approvals' | 'expiresAt'>,
  deciders: Deciders,
  actor: string,
  verdict: 'approve' | 'reject',
  now: Date,
): Decision {
  if (r.status !== 'PENDING') {
    throw new DomainError(Codes.REQUEST_NOT_PENDING, `This request is already ${r.status.toLowerCase()}.`);
  }
  if (now.getTime() >= r.expiresAt.getTime()) {
    throw new DomainError(Codes.REQUEST_EXPIRED, 'This request has expired; ask the admin to request it again.');
  }
  if (!deciders.people.has(actor)) {
    throw new DomainError(Codes.NOT_APPROVER, `Only ${deciders.label} can decide this request.`);
  }
  if (actor === r.requester) {
    throw new DomainError(Codes.SELF_DECISION, 'You cannot decide your own request; another approver must.');
  }
  if (verdict === 'reject') {
    return { status: 'REJECTED', approvals: r.approvals, decidedBy: actor, decidedAt: now };
  }
  if (r.approvals.some((a) => a.by === actor)) {
    throw new DomainError(Codes.ALREADY_APPROVED_BY_YOU, 'You already approved this request; it needs another approver.');
  }
  const approvals = [...r.approvals, { by: actor, at: now }];
  const done = countingApprovals({ ...r, approvals }, deciders.people).length >= deciders.approvals;
  return done
    ? { status: 'APPROVED', approvals, decidedBy: actor, decidedAt: now }
    : { status: 'PENDING', approvals, decidedBy: null, decidedAt: null };
}

/**
 * The approvals that count now: from people who may decide it today (someone taken out of the
 * group or the seed since they clicked no longer counts), never the requester, each person once.
 */
export function countingApprovals(r: Pick<ChangeRequest, 'requester' | 'approvals'>, people: ReadonlySet<string>): Approval[] {
  const seen = new Set<string>();
  return r.approvals.filter((a) => {
    if (a.by === r.requester || !people.has(a.by) || seen.has(a.by)) return false;
    seen.add(a.by);
    return true;
  });
}

/**
 * Whoever asked and whoever approved must still hold that right when an approved request is
 * carried out: the workspace's people and groups can change between the click and the job. Null
 * when the request may go ahead, else the reason it may not, for people to read.
 */
export function authorityLost(r: Pick<ChangeRequest, 'requester' | 'approvals'>, ws: Workspace, deciders: Deciders): string | null {
  // Keywarden's own requests (SYSTEM_REQUESTER) have no admin behind them; their approvals still count.
  if (!isSystemRequester(r.requester) && !isAdmin(ws, r.requester)) {
    return `<@${r.requester}> is no longer an admin of workspace ${ws.name}, so the request was not carried out.`;
  }
  const counting = countingApprovals(r, deciders.people).length;
  if (counting < deciders.approvals) {
    return `Only ${counting} of the ${deciders.approvals} approvals needed came from people who may still decide it (${deciders.label}), so the request was not carried out.`;
  }
  return null;
}

/**
 * When approvers are reminded of a pending request: `hours` before it expires, but never before
 * half its time to decide has passed (a request that lives 12 hours is not "reminded" on arrival).
 * Null when the policy asks for no reminders.
 */
export function reminderDueAt(createdAt: Date, expiresAt: Date, hours: number): Date | null {
  if (!(hours > 0)) return null;
  const lead = Math.min(hours * 3600_000, (expiresAt.getTime() - createdAt.getTime()) / 2);
  return new Date(expiresAt.getTime() - lead);
}
