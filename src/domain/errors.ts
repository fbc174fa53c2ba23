/**
 * Every rule violation carries a stable code; the edges (Slack, HTTP) map codes to messages and
 * statuses. Domain errors are expected outcomes, never retried by the queue.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

/** Codes in one place so edges can switch over them and tests can name them. */
export const Codes = {
  WORKSPACE_NOT_FOUND: 'WORKSPACE.NOT_FOUND',
  WORKSPACE_AMBIGUOUS: 'WORKSPACE.AMBIGUOUS',
  USER_NOT_FOUND: 'USER.NOT_FOUND',
  PERMISSION_NOT_FOUND: 'PERMISSION.NOT_FOUND',
  PERMISSION_EXISTS: 'PERMISSION.ALREADY_EXISTS',
  PERMISSION_UNCHANGED: 'PERMISSION.UNCHANGED',
  /** A permission sent back with a workspaceId other than its own: the workspace is not ours to change. */
  PERMISSION_WORKSPACE_MISMATCH: 'PERMISSION.WORKSPACE_MISMATCH',
  INVITED_TO_ACTIVE: 'PERMISSION.INVITED_TO_ACTIVE',
  ACTIVE_ONLY_FROM_ARCHIVED: 'PERMISSION.ACTIVE_ONLY_FROM_ARCHIVED',
  NOT_ADMIN: 'AUTH.NOT_ADMIN',
  NOT_APPROVER: 'AUTH.NOT_APPROVER',
  /** The requester or an approver lost that right between the decision and the apply. */
  AUTHORITY_LOST: 'AUTH.AUTHORITY_LOST',
  WRONG_TEAM: 'AUTH.WRONG_TEAM',
  SELF_DECISION: 'REQUEST.SELF_DECISION',
  ALREADY_APPROVED_BY_YOU: 'REQUEST.ALREADY_APPROVED_BY_YOU',
  REQUEST_NOT_FOUND: 'REQUEST.NOT_FOUND',
  REQUEST_NOT_PENDING: 'REQUEST.NOT_PENDING',
  REQUEST_EXPIRED: 'REQUEST.EXPIRED',
  TECHUSER_NOT_FOUND: 'TECHUSER.NOT_FOUND',
  TECHUSER_EXISTS: 'TECHUSER.ALREADY_EXISTS',
  TECHUSER_BAD_NAME: 'TECHUSER.BAD_NAME',
  TECHUSER_BAD_LABEL: 'TECHUSER.BAD_LABEL',
  TECHUSER_BAD_EXPIRY: 'TECHUSER.BAD_EXPIRY',
  TECHUSER_UNCHANGED: 'TECHUSER.UNCHANGED',
  TECHUSER_NO_TOKEN: 'TECHUSER.NO_TOKEN',
  REVEAL_UNAVAILABLE: 'REVEAL.UNAVAILABLE',
  /** The request's policy rule wants a real reason (domain/policy.ts checkReason). */
  REASON_REQUIRED: 'POLICY.REASON_REQUIRED',
  /** `breakglass` where the rule does not allow it, or without a time or a reason. */
  BREAK_GLASS_REFUSED: 'POLICY.BREAK_GLASS_REFUSED',
  /** A break-glass change was already reviewed (or is not a break-glass change). */
  BREAK_GLASS_REVIEWED: 'POLICY.BREAK_GLASS_REVIEWED',
  /** A user group's members could not be read from Slack, so nobody's authority could be checked. */
  GROUPS_UNAVAILABLE: 'POLICY.GROUPS_UNAVAILABLE',
  GRANT_BAD_DURATION: 'GRANT.BAD_DURATION',
  GRANT_TOO_LONG: 'GRANT.TOO_LONG',
  GRANT_TEMPORARY_ONLY: 'GRANT.TEMPORARY_ONLY',
  /** The grant an extension or an End now names is over (ended, superseded, or never applied). */
  GRANT_NOT_ACTIVE: 'GRANT.NOT_ACTIVE',
  /** Only the grant's requester or an approver may end it early. */
  GRANT_NOT_YOURS: 'GRANT.NOT_YOURS',
  /** The grant's role could not be taken back where the truth is (a connected LeanIX) yet: the grant is still active. */
  GRANT_END_HELD: 'GRANT.END_HELD',
  /** An API token that does not open an access token: unknown, replaced, deleted, revoked or expired. */
  API_TOKEN_INVALID: 'AUTH.API_TOKEN_INVALID',
  /** An access token (JWT) that is malformed, forged, expired, or whose API token no longer works. */
  ACCESS_TOKEN_INVALID: 'AUTH.ACCESS_TOKEN_INVALID',
  OTHER_WORKSPACE: 'AUTH.OTHER_WORKSPACE',
  ROLE_TOO_LOW: 'AUTH.ROLE_TOO_LOW',
  AUDIT_BAD_CURSOR: 'AUDIT.BAD_CURSOR',
  REVIEW_NOT_OWNER: 'REVIEW.NOT_OWNER',
  REVIEW_BUSY: 'REVIEW.BUSY',
  REVIEW_BAD_OWNER: 'REVIEW.BAD_OWNER',
  /** No access review of that name in the workspace's policy. */
  REVIEW_NOT_FOUND: 'REVIEW.NOT_FOUND',
  /** The access review's item was decided already, or the campaign is closed. */
  REVIEW_DECIDED: 'REVIEW.DECIDED',
  /** The decider is the person whose permission the change is about (domain/identity.ts). */
  OWN_PERMISSION: 'IDENTITY.OWN_PERMISSION',
  /** Slack could not say who the decider is, so the own-permission rule could not be checked. */
  IDENTITY_UNAVAILABLE: 'IDENTITY.UNAVAILABLE',
} as const;
