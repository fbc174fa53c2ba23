/**
 * Who is who: a Slack user and a LeanIX user are the same person when the email Slack holds for
 * the Slack user (or the seed file's `slackUsers` mapping, which wins) is the LeanIX user's email,
 * compared case-insensitively (emailKey). Nobody decides a change of their own permission.
 */
import { Codes, DomainError } from './errors.js';
import type { ChangeRequest } from './request.js';
import { emailKey } from './user.js';
import type { Workspace } from './workspace.js';

/**
 * What is known of a Slack user's email: `known` (from the seed or Slack), or `unknown` when
 * Slack could not say (users.info failed, or gave no email: a missing users:read.email scope).
 */
export type SlackEmail = { known: true; email: string; from: 'seed' | 'slack' } | { known: false; why: string };

/** The seed's mapping for a Slack user, if any. */
export const seededEmail = (ws: Pick<Workspace, 'slackUsers'>, slackUserId: string): string | null => ws.slackUsers?.[slackUserId] ?? null;

/** The Slack user the seed maps to `email`, if any (the first, should two map to one email). */
export function seededSlackUser(ws: Pick<Workspace, 'slackUsers'>, email: string): string | null {
  const key = emailKey(email);
  for (const [id, e] of Object.entries(ws.slackUsers ?? {})) if (emailKey(e) === key) return id;
  return null;
}

export const sameEmail = (a: string, b: string): boolean => emailKey(a) === emailKey(b);

/** The email whose permission a request changes, or null for requests about technical users. */
export function subjectEmail(r: Pick<ChangeRequest, 'kind' | 'params'>): string | null {
  return r.kind.startsWith('permission.') && 'email' in r.params ? r.params.email : null;
}

/**
 * Refuses `who` deciding about `subject`'s permission when it is theirs, and when who they are
 * cannot be established. The second is the safe choice: a decider Slack cannot name might be the
 * subject, and letting the decision through would make the rule depend on Slack being up. A
 * refusal costs a retry a minute later; a self-approval cannot be taken back once applied.
 */
export function checkNotOwn(who: SlackEmail, subject: string, verb: string): void {
  if (!who.known) {
    throw new DomainError(
      Codes.IDENTITY_UNAVAILABLE,
      `Keywarden could not establish who you are from Slack (${who.why}), so it cannot tell whether ${subject} is you; nobody may ${verb} it until it can. Try again in a minute.`,
    );
  }
  if (sameEmail(who.email, subject)) {
    throw new DomainError(Codes.OWN_PERMISSION, `You cannot ${verb} a change of your own permission (${subject} is you); someone else must.`);
  }
}
