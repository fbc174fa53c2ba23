/**
 * Who is who (domain/identity.ts) for the use cases: a Slack user's email from the seed file's
 * `slackUsers` (which wins) or from Slack (People), the Slack user behind a workspace user's email,
 * and the one rule built on them: nobody decides a change of their own permission. The decision
 * code calls `refuseOwn` at the click and `ownApproval` again before the change is carried out.
 */
import { checkNotOwn, sameEmail, seededEmail, seededSlackUser, subjectEmail, type SlackEmail } from '../domain/identity.js';
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Log } from './ports.js';
import type { People } from './ports/people.js';
import { ONE_SLACK, type SlackScope } from './ports/slack-scope.js';

const short = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 120);

export class Identities {
  /** `scope`: which installation asks Slack, for a workspace (installable mode). */
  constructor(private readonly deps: { people: People; log: Log; scope?: SlackScope }) {}

  private within<T>(ws: Workspace, fn: () => Promise<T>): Promise<T> {
    return (this.deps.scope ?? ONE_SLACK).within(ws, fn);
  }

  /** What is known of `slackUserId`'s email in `ws`: the seed's mapping, else Slack's. Never throws. */
  async emailOf(ws: Workspace, slackUserId: string): Promise<SlackEmail> {
    const seeded = seededEmail(ws, slackUserId);
    if (seeded) return { known: true, email: seeded, from: 'seed' };
    try {
      const email = await this.within(ws, () => this.deps.people.emailOf(slackUserId));
      return email ? { known: true, email, from: 'slack' } : { known: false, why: 'Slack gave no email for you' };
    } catch (err) {
      this.deps.log.warn({ err: short(err), user: slackUserId }, 'could not read a Slack user\'s email');
      return { known: false, why: 'Slack did not answer' };
    }
  }

  /** The Slack user who is `email` in `ws`, when the seed or Slack knows them; null otherwise (never throws). */
  async slackUserOf(ws: Workspace, email: string, o: { cachedOnly?: boolean } = {}): Promise<string | null> {
    try {
      return await this.lookUpSlackUser(ws, email, o);
    } catch (err) {
      this.deps.log.warn({ err: short(err) }, 'could not look up the Slack user of an email');
      return null;
    }
  }

  /**
   * As slackUserOf, but Slack's failures (a 429 above all) are thrown, for a caller that retries
   * in its own time: the outbound path, which paces users.lookupByEmail and waits out its 429s.
   */
  async lookUpSlackUser(ws: Workspace, email: string, o: { cachedOnly?: boolean } = {}): Promise<string | null> {
    const seeded = seededSlackUser(ws, email);
    if (seeded) return seeded;
    const id = await this.within(ws, () => this.deps.people.userOf(email, o));
    // The seed maps this Slack user to someone else: the seed wins, so they are not this person.
    return id && (!seededEmail(ws, id) || sameEmail(seededEmail(ws, id)!, email)) ? id : null;
  }

  /**
   * The Slack user whose permission `r` changes, for the approval message: as far as the seed or
   * what Slack already told says, without a call (submit stays as fast as it was, also when
   * Slack is limiting); the decision itself is checked against Slack at each click regardless.
   */
  subjectUser(ws: Workspace, r: Pick<ChangeRequest, 'kind' | 'params'>): Promise<string | null> {
    const email = subjectEmail(r);
    return email ? this.slackUserOf(ws, email, { cachedOnly: true }) : Promise.resolve(null);
  }

  /** Throws a DomainError when `actor` may not `verb` `r` because it changes their own permission (or Slack cannot say). */
  async refuseOwn(ws: Workspace, r: Pick<ChangeRequest, 'kind' | 'params'>, actor: string, verb: string): Promise<void> {
    const email = subjectEmail(r);
    if (email) checkNotOwn(await this.emailOf(ws, actor), email, verb);
  }

  /**
   * Before an approved change is carried out: the reason it may not be, when one of its approvals
   * came from the person it is about (who is who can change between the click and the job), else
   * null. Throws a plain error (retried by the queue) when Slack cannot say who an approver is.
   */
  async ownApproval(ws: Workspace, r: ChangeRequest): Promise<string | null> {
    const email = subjectEmail(r);
    if (!email) return null;
    for (const { by } of r.approvals) {
      const who = await this.emailOf(ws, by);
      if (!who.known) throw new Error(`could not establish who approver ${by} of request ${r.id} is (${who.why})`);
      if (sameEmail(who.email, email)) return `<@${by}> approved a change of their own permission (${email}), so the request was not carried out.`;
    }
    return null;
  }
}
