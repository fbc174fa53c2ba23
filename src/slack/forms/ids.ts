/**
 * Ids of our modals (their callback_id) and of their inputs. Each input is a block whose block_id
 * names the field (Slack keys field errors by block id); its element's action_id is always VALUE.
 */
export const forms = {
  TECHUSER_CREATE: 'keywarden.form.techuser_create',
  PERMISSION_ROLE: 'keywarden.form.permission_role',
  /** Opened by Extend in the DM about a grant: for how much longer. */
  GRANT_EXTEND: 'keywarden.form.grant_extend',
  /** Opened by a Reject button: asks the approver why. */
  REJECT: 'keywarden.form.reject',
  /** Opened by a review's Transfer button: the new owner of a technical user. */
  TECHUSER_OWNER: 'keywarden.form.techuser_owner',
  /** A reviewer's items of an access review, a page at a time (slack/blocks/access-review-pages.ts). */
  ACCESS_REVIEW: 'keywarden.form.access_review',
} as const;

export const fields = {
  USERNAME: 'username',
  ROLE: 'role',
  EXPIRY: 'expiry',
  DESCRIPTION: 'description',
  CUSTOMER_ROLES: 'customer_roles',
  ACES: 'aces',
  EMAIL: 'email',
  /** A person picked by the external select of `/permission role` (the value is their user id). */
  USER: 'user',
  REASON: 'reason',
  DURATION: 'duration',
  OWNER: 'owner',
} as const;
export type FieldId = (typeof fields)[keyof typeof fields];

export const VALUE = 'value';
