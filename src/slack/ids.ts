/** Action ids of our buttons. The button's value is always a request id, nothing secret. */
export const ids = {
  APPROVE: 'keywarden.request.approve',
  REJECT: 'keywarden.request.reject',
  /** In the requester's DM after a token was created or replaced; value: the request id. */
  REVEAL: 'keywarden.token.reveal',
  /** On expiry warnings; value: the technical user id. Each opens an ordinary approval request. */
  ROTATE_TOKEN: 'keywarden.token.rotate',
  EXTEND_TOKEN: 'keywarden.token.extend',
  /** In the requester's DM after a grant was applied; value: the grant's request id. */
  GRANT_END_NOW: 'keywarden.grant.end',
  GRANT_EXTEND: 'keywarden.grant.extend',
  /** On a review question to a technical user's owner; value: the technical user id. */
  REVIEW_KEEP: 'keywarden.review.keep',
  REVIEW_DELETE: 'keywarden.review.delete',
  REVIEW_TRANSFER: 'keywarden.review.transfer',
  /** Under an applied break-glass change; value: its request id. */
  BREAK_GLASS_REVIEWED: 'keywarden.breakglass.reviewed',
  BREAK_GLASS_REVERT: 'keywarden.breakglass.revert',
  /** Access reviews (slack/blocks/access-reviews.ts). Open: value a campaign id; the rest: an item id, or page:<campaignId>:<seq>. */
  ACCESS_REVIEW_OPEN: 'keywarden.accessreview.open',
  ACCESS_REVIEW_KEEP: 'keywarden.accessreview.keep',
  ACCESS_REVIEW_ROLE: 'keywarden.accessreview.role',
  ACCESS_REVIEW_ARCHIVE: 'keywarden.accessreview.archive',
  ACCESS_REVIEW_KEEP_PAGE: 'keywarden.accessreview.keep_page',
  ACCESS_REVIEW_PAGE: 'keywarden.accessreview.page',
  /** Under a `/permission list` page; value: the page and filter (slack/permission-pages.ts). */
  PERMISSION_LIST_PREVIOUS: 'keywarden.permissions.previous',
  PERMISSION_LIST_NEXT: 'keywarden.permissions.next',
} as const;
