/** Who is in a Slack user group: the approvers a policy rule names by group (S…). */
export interface Directory {
  /**
   * The current members of user group `groupId` (user ids). Answers from a short cache; throws
   * when Slack cannot say (the caller then decides nothing rather than guess).
   */
  groupMembers(groupId: string): Promise<string[]>;
  /**
   * The group's members changed (Slack's subteam_members_changed): the next read, in this process
   * and every other, asks Slack.
   */
  forget(groupId: string): Promise<void>;
}

/** For a Keywarden without a Slack client (some tests): names user ids only; any group is refused. */
export const noGroups: Directory = {
  groupMembers: async (groupId) => {
    throw new Error(`no directory to read the members of user group ${groupId}`);
  },
  forget: async () => {},
};
