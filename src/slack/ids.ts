/** Action ids of our buttons. The button's value is always a request id, nothing secret. */
export const ids = {
  APPROVE: 'keywarden.request.approve',
  REJECT: 'keywarden.request.reject',
  /** In the requester's DM after a token was created or replaced; value: the request id. */
  REVEAL: 'keywarden.token.reveal',
} as const;
