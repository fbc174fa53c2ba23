/** Who a Slack user is, as Slack says: their email, and the Slack user behind an email. */
export interface People {
  /**
   * The email Slack holds for `slackUserId` (users.info, scope users:read.email); null when Slack
   * has none for them. Answers from a cache of at most an hour; throws when Slack cannot say.
   */
  emailOf(slackUserId: string): Promise<string | null>;
  /**
   * The Slack user whose email is `email` (users.lookupByEmail); null when there is none; throws
   * when Slack cannot say. `cachedOnly`: only what is already known (no call to Slack), for paths
   * that must stay as fast as they were (submitting a request).
   */
  userOf(email: string, o?: { cachedOnly?: boolean }): Promise<string | null>;
  /** Slack says the user changed (user_change): what is cached of them is forgotten in every process. */
  forget(slackUserId: string, newEmail?: string | null): Promise<void>;
}
