/**
 * Break-glass after the fact: a change applied without approval (RequestService.submit with
 * `breakGlass`) stays *awaiting review* until one of the people its rule names clicks Reviewed
 * (it stays until its end) or Revert now (its grant ends at once, as End now ends one). Until
 * then, every `breakGlassReviewHours` after it was applied, its thread and the notification
 * channels are reminded, once per period: each reminder, in each place, is claimed by a
 * compare-and-set on a notice named after its period and place (policy-lines.ts), so workers
 * never post it twice, and a place that refuses does not make the others repeat. The same sweep
 * makes any announcement still owed (the process stopped between approving and announcing).
 */
import { Codes, DomainError } from '../domain/errors.js';
import { breakGlassReviewHours } from '../domain/policy.js';
import type { ChangeRequest } from '../domain/request.js';
import type { GrantService } from './grants.js';
import { asRefusal } from './grant-end-held.js';
import type { Policies } from './policies.js';
import { sendToEachPlace } from './policy-lines.js';
import type { Identities } from './identity.js';
import type { Clock, Log, Notifier, Store } from './ports.js';

const HOUR = 3600_000;

export interface ReviewInput {
  requestId: string;
  actor: string;
  teamId: string;
  verdict: 'reviewed' | 'reverted';
}

export class BreakGlassService {
  constructor(
    private readonly deps: { store: Store; clock: Clock; log: Log; notifier: Notifier; grants: GrantService; policies: Policies; identities?: Identities },
  ) {}

  /**
   * Records an approver's review of a break-glass change; Revert now ends its grant first (a
   * grant already over is only recorded as reverted). The first review wins; the rest are told
   * who reviewed it. Returns the request as reviewed, and whether a grant was ended just now.
   */
  async review(input: ReviewInput): Promise<{ request: ChangeRequest; ended: boolean }> {
    const { store, clock, policies } = this.deps;
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await store.requests.findById(input.requestId);
      if (!r?.breakGlass) throw new DomainError(Codes.REQUEST_NOT_FOUND, 'That is not a break-glass change Keywarden knows.');
      const ws = await store.workspaces.findById(r.workspaceId);
      if (!ws || ws.slack.teamId !== input.teamId) throw new DomainError(Codes.WRONG_TEAM, 'That request does not belong to this Slack team.');
      if (r.breakGlass.verdict) {
        throw new DomainError(Codes.BREAK_GLASS_REVIEWED, `This break-glass change was already ${r.breakGlass.verdict} by <@${r.breakGlass.reviewedBy}>.`);
      }
      if (r.status !== 'APPLIED') throw new DomainError(Codes.REQUEST_NOT_PENDING, `This break-glass change is ${r.status.toLowerCase()}, not applied; there is nothing to review.`);
      if (input.actor === r.requester) throw new DomainError(Codes.SELF_DECISION, 'You cannot review your own break-glass change; an approver must.');
      const deciders = await policies.deciders(ws, r, clock.now());
      if (!deciders.people.has(input.actor)) throw new DomainError(Codes.NOT_APPROVER, `Only ${deciders.label} can review this change.`);
      await this.deps.identities?.refuseOwn(ws, r, input.actor, 'review');
      let ended = false;
      if (input.verdict === 'reverted') ended = await this.revert(r, input.actor);
      const reviewed = await store.requests.update(r.id, { status: 'APPLIED', version: r.version }, {
        breakGlass: { reviewedBy: input.actor, reviewedAt: clock.now(), verdict: input.verdict },
      });
      if (!reviewed) continue; // someone else reviewed (or a notice bumped it): read again
      await this.deps.notifier.requestUpdated(reviewed, ws).catch((err: unknown) =>
        this.deps.log.error({ err, requestId: r.id }, 'could not rewrite the message of a reviewed break-glass change'),
      );
      return { request: reviewed, ended };
    }
    throw new DomainError(Codes.REQUEST_NOT_PENDING, 'This change is being reviewed by others right now; look again.');
  }

  /** Ends the break-glass grant now, as End now does; false when it had already ended. */
  private async revert(r: ChangeRequest, actor: string): Promise<boolean> {
    const label = 'email' in r.params ? r.params.email : 'userName' in r.params ? r.params.userName : null;
    if (!label) return false;
    const s = await this.deps.grants.subjects.find(r.kind.startsWith('techuser.') ? 'technicalUser' : 'permission', r.workspaceId, label);
    if (!s?.grant || s.grant.requestId !== r.id) return false;
    // A connected LeanIX that does not take the role back yet: the reviewer is told the grant still runs.
    const outcome = await this.deps.grants.end({ type: s.type, id: s.id }, r.id, { how: 'ended', by: actor }, { retried: false }).catch((err: unknown) => {
      throw asRefusal(err);
    });
    return outcome === 'ended';
  }

  /**
   * Makes the announcements still owed, and reminds of break-glass changes still awaiting review
   * `breakGlassReviewHours` (per workspace) after they were applied, once per such period and
   * place. Returns how many messages were posted.
   */
  async remindUnreviewed(limit = 200): Promise<number> {
    const { store, clock, notifier } = this.deps;
    const now = clock.now();
    let n = 0;
    // Active workspaces only: a retired one's changes cannot be reviewed, and would stay first in line.
    const active = (await store.workspaces.list()).map((w) => w.id);
    for (const r of await store.requests.listBreakGlassUnreviewed(limit, active)) {
      const ws = await store.workspaces.findById(r.workspaceId);
      if (!ws || !r.appliedAt) continue;
      if (r.breakGlass?.announce) n += (await sendToEachPlace(this.deps, r, ws, 'bgUsed', (where) => notifier.breakGlassUsed(r, ws, where))).sent;
      const hours = breakGlassReviewHours(ws.policy);
      const period = Math.floor((now.getTime() - r.appliedAt.getTime()) / (hours * HOUR));
      // `breakGlassReview-<period>`: one claim for every place, as reminders made before each had its own.
      if (period < 1 || r.notices?.[`breakGlassReview-${period}`]) continue;
      n += (await sendToEachPlace(this.deps, r, ws, `bgReview-${period}`, (where) => notifier.breakGlassUnreviewed(r, ws, period * hours, where))).sent;
    }
    return n;
  }
}
