/** Action ids of our buttons. The button's value is always a request id, nothing secret. */
export const ids = {
  APPROVE: 'keywarden.request.approve',
  REJECT: 'keywarden.request.reject',
} as const;
