/**
 * Who may decide a request now: the first policy rule that matches it (domain/policy.ts), read
 * against the workspace's policy as it is now (a seed change governs pending and approved
 * requests alike, as the approver list always did), with its user groups expanded to their
 * current members through the Directory. Used at each click, and again before an approved
 * change is carried out, so someone taken out of a group can no longer decide or count.
 */
import { Codes, DomainError } from '../domain/errors.js';
import { isGroupId, matchRule, namedDeciders, type MatchedRule } from '../domain/policy.js';
import type { ChangeRequest, Deciders, NewRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Directory } from './ports/directory.js';
import { ONE_SLACK, type SlackScope } from './ports/slack-scope.js';

/** Slack's mention of a user (`<@U…>`) or a user group (`<!subteam^S…>`). */
export const mention = (id: string): string => (isGroupId(id) ? `<!subteam^${id}>` : `<@${id}>`);

/** How a rule's deciders are named to people. */
export function decidersLabel(ws: Workspace, rule: Pick<MatchedRule, 'index'>, named: readonly string[]): string {
  if (rule.index === null) return `approvers of workspace ${ws.name}`;
  return named.length ? named.map(mention).join(', ') : 'nobody (the rule names no approvers)';
}

export class Policies {
  /** `scope`: which installation reads a workspace's groups (installable mode). */
  constructor(private readonly directory: Directory, private readonly scope: SlackScope = ONE_SLACK) {}

  rule(ws: Workspace, r: NewRequest): MatchedRule {
    return matchRule(ws, r);
  }

  /**
   * The people who may decide `r` at `now`, and how many of them must approve. A break-glass
   * change was applied without approval by design: it needs none to be carried out, and its
   * review is decided by the same people afterwards. Throws GROUPS_UNAVAILABLE (a DomainError,
   * for a click to answer) when a group's members cannot be read.
   */
  async deciders(ws: Workspace, r: ChangeRequest, now: Date): Promise<Deciders> {
    const rule = matchRule(ws, r);
    const named = namedDeciders(rule, r.createdAt, now);
    let people = await this.people(named, ws);
    let label = decidersLabel(ws, rule, named);
    if (rule.also) {
      // An extension under its grant's rule and the rule for extensions: deciders named by both.
      const alsoNamed = namedDeciders(rule.also, r.createdAt, now);
      const also = await this.people(alsoNamed, ws);
      people = new Set([...people].filter((p) => also.has(p)));
      label = `those of ${label} who are also among ${decidersLabel(ws, rule.also, alsoNamed)}`;
    }
    return { approvals: r.breakGlass ? 0 : rule.approvals, people, label };
  }

  /** User ids as they are, groups as their members now (read in `ws`'s Slack workspace); someone in two groups appears once. */
  async people(named: readonly string[], ws?: Workspace): Promise<Set<string>> {
    const people = new Set<string>();
    for (const id of named) {
      if (!isGroupId(id)) {
        people.add(id);
        continue;
      }
      let members: string[];
      try {
        members = ws ? await this.scope.within(ws, () => this.directory.groupMembers(id)) : await this.directory.groupMembers(id);
      } catch (err) {
        throw new GroupsUnavailableError(id, err);
      }
      for (const m of members) people.add(m);
    }
    return people;
  }
}

/** A DomainError for a click to answer; the apply job treats it as passing trouble and retries. */
export class GroupsUnavailableError extends DomainError {
  constructor(readonly groupId: string, cause: unknown) {
    super(Codes.GROUPS_UNAVAILABLE, `Could not read who is in ${mention(groupId)} from Slack, so nobody's right to decide could be checked; try again in a minute.`);
    this.cause = cause;
  }
}
