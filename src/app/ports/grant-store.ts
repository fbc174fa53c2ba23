/** The queries time-bound grants need, the same on each kind of subject that can hold one. */
export interface GrantQueries<T> {
  /**
   * Subjects whose grant ends at or before `now`, earliest end first: the backstop sweep's query,
   * read through an index on the grant's end, so its cost follows the due grants, not all.
   */
  listGrantsDue(now: Date, limit: number): Promise<T[]>;
  /** A workspace's subjects under a grant, the soonest end first. */
  listGrants(workspaceId: string, limit: number): Promise<T[]>;
  /** How many grants are active across all workspaces (the metrics gauge). */
  countGrants(): Promise<number>;
}
