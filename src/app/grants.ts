/**
 * Time-bound grants: giving a role for a time, extending it, and ending it (at its end, early,
 * or by a later change that supersedes it), each exactly once whatever runs again. Each step is
 * one compare-and-set on the subject that moves the role and the grant together and remembers
 * the step's id (domain/applied.ts); the history line and the message follow, idempotent.
 */
import { appliedChange, remember, type AppliedChange } from '../domain/applied.js';
import { Codes, DomainError } from '../domain/errors.js';
import type { Grant, GrantEnd } from '../domain/grant.js';
import { grantEndId } from '../domain/grant.js';
import type { Actor } from '../domain/history.js';
import type { Role } from '../domain/permission.js';
import type { ChangeRequest } from '../domain/request.js';
import { isApprover } from '../domain/workspace.js';
import { GrantSubjects, type GrantSubject, type SubjectRef } from './grant-subjects.js';
import { GrantTargets } from './grant-targets.js';
import { asRefusal, heldBy, isGrantEndHeld, tellEndHeld, type GrantEndHeldError } from './grant-end-held.js';
import { ConcurrentChangeError } from './permissions.js';
import { MessageRefusedError, type ChangeTargets, type Clock, type GrantEndedTo, type GrantTimer, type Log, type Notifier, type Store } from './ports.js';

/**
 * What ending a grant came to, for the caller and the metrics: `already-ended` is this same end
 * made before (a re-run), `not-active` a grant closed otherwise (another end, a later change, gone).
 */
export type EndOutcome = 'ended' | 'already-ended' | 'not-due' | 'not-active';

export interface GrantView {
  subject: SubjectRef & { label: string };
  grant: Grant;
}

export interface GrantObserver {
  grantEnded(how: GrantEnd['how'] | 'gone'): void;
}

export class GrantService {
  readonly subjects: GrantSubjects;
  /** The grant's role where the workspace's truth is (a connected LeanIX first). */
  readonly inTarget: GrantTargets;

  constructor(
    private readonly deps: {
      store: Store; clock: Clock; log: Log; notifier: Notifier; timer: GrantTimer; observer?: GrantObserver;
      /** Where a grant's role is made and goes back: the records, or a connected LeanIX first (ports/change-target.ts). */
      targets?: ChangeTargets;
    },
  ) {
    this.subjects = new GrantSubjects(deps.store);
    this.inTarget = new GrantTargets({ store: deps.store, targets: deps.targets });
  }

  /** The workspace's active grants, soonest end first. */
  async list(workspaceId: string, limit = 100): Promise<GrantView[]> {
    return (await this.subjects.listActive(workspaceId, limit)).map((s) => ({ subject: { type: s.type, id: s.id, label: s.label }, grant: s.grant! }));
  }

  /** Asks the timer to end the grant at its end; the backstop sweep covers a timer that cannot be reached. */
  async schedule(ref: SubjectRef, grant: Grant, o: { again?: boolean } = {}): Promise<void> {
    await this.deps.timer.schedule({ grantId: grant.requestId, subject: ref, until: grant.until }, o).catch((err: unknown) =>
      this.deps.log.warn({ err, grantId: grant.requestId }, 'could not schedule the end of a grant; the grant sweep will end it'),
    );
  }

  /**
   * A grant's timer fired (for the end `firedFor`): ends it if it is due, or sets the timer again
   * for an extended end, or for this same end when the timer fired early (the host that set it
   * keeps a clock ahead of ours), which must not be left to the sweep.
   */
  async expire(ref: SubjectRef, grantId: string, firedFor?: Date): Promise<EndOutcome> {
    const outcome = await this.end(ref, grantId, { how: 'expired' });
    if (outcome === 'not-due') {
      const s = await this.subjects.findById(ref);
      if (s?.grant?.requestId !== grantId) return outcome;
      // An extension's own timer is already set under its end; re-setting it is then a no-op.
      await this.schedule(ref, s.grant, { again: !firedFor || firedFor.getTime() === s.grant.until.getTime() });
    }
    return outcome;
  }

  /**
   * End now, from the requester's DM: the grant's requester or any approver of its workspace,
   * at once and without approval.
   */
  async endNow(grantId: string, actor: string): Promise<{ label: string; revertTo: Role }> {
    const { store } = this.deps;
    const r = await store.requests.findById(grantId);
    const ws = r && (await store.workspaces.findById(r.workspaceId));
    const label = r && ('email' in r.params ? r.params.email : 'userName' in r.params ? r.params.userName : null);
    if (!r || !ws || !label) throw new DomainError(Codes.GRANT_NOT_ACTIVE, 'There is no such grant.');
    if (actor !== r.requester && !isApprover(ws, actor)) {
      throw new DomainError(Codes.GRANT_NOT_YOURS, 'Only whoever asked for this grant, or an approver, can end it early.');
    }
    const s = await this.subjects.find(r.kind.startsWith('techuser.') ? 'technicalUser' : 'permission', r.workspaceId, label);
    if (!s?.grant || s.grant.requestId !== grantId) throw new DomainError(Codes.GRANT_NOT_ACTIVE, 'This grant has already ended.');
    const revertTo = s.grant.revertTo;
    // A click: nothing retries its messages but the grant's own end job, so the end is said to
    // have been made even when a message about it failed.
    const outcome = await this.end(s, grantId, { how: 'ended', by: actor }, { retried: false }).catch((err: unknown) => {
      throw asRefusal(err);
    });
    if (outcome !== 'ended' && outcome !== 'already-ended') throw new DomainError(Codes.GRANT_NOT_ACTIVE, 'This grant has already ended.');
    return { label: s.label, revertTo };
  }

  /**
   * The backstop: ends every grant whose end has passed (its timer lost with Redis, or Keywarden
   * down at the time). Returns how many it ended.
   */
  async sweep(limit = 200): Promise<number> {
    let n = 0;
    // A workspace whose LeanIX did not answer for one end is not asked for its other ends this round:
    // each would wait out the same timeouts and hold up the maintenance jobs behind the sweep.
    // Its end is held all the same, and said so when it is time to.
    const notAnswering = new Map<string, GrantEndHeldError>();
    for (const { ref, workspaceId, grant } of await this.subjects.listDue(this.deps.clock.now(), limit)) {
      const held = notAnswering.get(workspaceId);
      if (held) {
        const s = await this.subjects.findById(ref).catch(() => null);
        if (s?.grant) await this.tellHeld(s, held);
        continue;
      }
      try {
        if ((await this.end(ref, grant.requestId, { how: 'expired' })) === 'ended') n++;
      } catch (err) {
        // Not made where the truth is (grant-end-held.ts): still due, so the next sweep tries again.
        if (isGrantEndHeld(err)) {
          if (err.passing) notAnswering.set(workspaceId, err);
          this.deps.log.warn({ grantId: grant.requestId, why: err.reason }, 'a grant end is held: LeanIX did not take the role back yet; the next sweep tries again');
          continue;
        }
        // Either the end was not made (the next sweep tries again) or only its message failed
        // (no sweep finds an ended grant again): recorded on the request for the operator.
        this.deps.log.error({ err, grantId: grant.requestId }, 'could not end a grant, or tell its requester');
        await this.noteUndelivered(grant.requestId, 'requester-dm', err);
      }
    }
    return n;
  }

  /**
   * Ends the grant `grantId` on its subject, once: the role goes back and the grant is closed in
   * one compare-and-set that remembers the end. A run that finds the end already made (by itself
   * before, or by a concurrent run) only finishes the history line and the message.
   */
  async end(ref: SubjectRef, grantId: string, end: GrantEnd, o: { retried: boolean } = { retried: true }): Promise<EndOutcome> {
    // `retried`: a queue job runs this again (it writes what is missing and sends only the messages
    // still owed). Otherwise the end stands and is reported as made: a history line not written
    // is left to the grant's own end job, a message that failed is recorded on the request.
    const finish = async (s: GrantSubject, made: AppliedChange, as: GrantEnd) => {
      try {
        await this.recordEnd(s, grantId, made, as);
      } catch (err) {
        if (o.retried) throw err;
        this.deps.log.error({ err, grantId }, 'ended a grant, but could not write its history line yet; its end job will');
        return;
      }
      await this.tellEnd(s, grantId, made, as).catch(async (err: unknown) => {
        if (o.retried) throw err;
        this.deps.log.error({ err, grantId }, 'ended a grant, but could not tell about it');
        await this.noteUndelivered(grantId, 'requester-dm', err);
      });
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const s = await this.subjects.findById(ref);
      const made = s && appliedChange(s.applied, grantEndId(grantId));
      if (s && made) {
        // Finished as it was made: End now must not sign an end the timer made, nor the reverse.
        const as = made.end ?? end;
        await finish(s, made, as);
        return sameEnd(as, end) ? 'already-ended' : 'not-active';
      }
      if (!s?.grant || s.grant.requestId !== grantId) {
        // Ended by someone else, superseded by a later change, or its subject is gone: nothing to undo.
        this.deps.observer?.grantEnded('gone');
        return 'not-active';
      }
      if (end.how === 'expired' && s.grant.until.getTime() > this.deps.clock.now().getTime()) return 'not-due';
      const { revertTo } = s.grant;
      // In a connected workspace the role goes back in LeanIX first; one changed there meanwhile stays.
      const outside = await this.inTarget.revert(s, grantId, s.grant.role, revertTo).catch(async (err: unknown) => {
        const held = heldBy(err);
        if (isGrantEndHeld(held)) await this.tellHeld(s, held);
        throw held;
      });
      const how: GrantEnd = outside ? { how: 'outside', to: outside } : end;
      const to = outside ?? revertTo;
      const entry: AppliedChange = { id: grantEndId(grantId), at: this.deps.clock.now(), before: { role: s.role }, after: { role: to }, end: how };
      const ended = await this.subjects.update(s, { role: to, grant: null, applied: remember(s.applied, entry) });
      if (!ended) continue;
      this.deps.observer?.grantEnded(how.how);
      await finish(ended, entry, how);
      return 'ended';
    }
    throw new ConcurrentChangeError(`grant ${grantId} kept changing while it was ended; try again`);
  }

  /** The notification channels told once that this grant's end is held (grant-end-held.ts). */
  private async tellHeld(s: GrantSubject, held: GrantEndHeldError): Promise<void> {
    const ws = s.grant && (await this.deps.store.workspaces.findById(s.workspaceId).catch(() => null));
    if (ws && s.grant) await tellEndHeld(this.deps, ws, s.label, s.grant, held);
  }

  /** The history line of an end (insert-if-absent: written once however many runs get here). */
  private async recordEnd(s: GrantSubject, grantId: string, made: AppliedChange, end: GrantEnd): Promise<void> {
    const actor: Actor = end.how === 'ended' ? { type: 'slack', id: end.by } : end.how === 'outside' ? { type: 'leanix' } : { type: 'system' };
    const reason = end.how === 'expired' ? 'the grant ran out' : end.how === 'outside' ? 'changed in LeanIX outside Keywarden; not reverted' : 'ended early';
    await this.deps.store.history.append({
      id: grantEndId(grantId), workspaceId: s.workspaceId, subject: { type: s.type, id: s.id, label: s.label },
      action: `${s.type === 'permission' ? 'permission' : 'techuser'}.grant_ended`, actor, requestId: grantId, approvers: [],
      before: made.before, after: made.after, reason, at: made.at,
    });
  }

  /**
   * One message to each place: the requester's DM and the approval message's thread. Each place
   * is claimed on its own, so a place that refuses for good (an archived channel) is recorded and
   * not tried again, and never makes the other repeat; a place whose message may yet go through
   * is handed back, and the error thrown for a retry.
   */
  private async tellEnd(s: GrantSubject, grantId: string, made: AppliedChange, end: GrantEnd): Promise<void> {
    const { store, notifier, clock, log } = this.deps;
    const r = await store.requests.findById(grantId);
    const ws = r && (await store.workspaces.findById(r.workspaceId));
    // `grantEnded`: one claim for both places, as grants ended before each had its own.
    if (!r || !ws || r.notices?.grantEnded) return;
    const places: GrantEndedTo[] = r.slack ? ['requester', 'thread'] : ['requester'];
    const revertedTo = String(made.after?.role ?? s.role);
    const passing: unknown[] = [];
    await Promise.all(places.map(async (to) => {
      const key = to === 'requester' ? 'grantEndedDm' : 'grantEndedThread';
      if (!(await store.requests.claimNotice(r.id, key, clock.now()))) return;
      try {
        await notifier.grantEnded(r, ws, end, revertedTo, to);
      } catch (err) {
        if (err instanceof MessageRefusedError) {
          log.error({ err, grantId, to }, 'Slack refused the message that a grant ended; not tried again');
          await this.noteUndelivered(grantId, to === 'requester' ? 'requester-dm' : 'approval-message', err);
          return;
        }
        await store.requests.releaseNotice(r.id, key);
        passing.push(err);
      }
    }));
    if (passing.length > 0) throw passing[0];
  }

  /** Records on the grant's request a message that did not go out. Never throws. */
  private async noteUndelivered(grantId: string, message: 'requester-dm' | 'approval-message', err: unknown): Promise<void> {
    const error = String(err instanceof Error ? err.message : err).slice(0, 300);
    await this.deps.store.requests.noteUndelivered(grantId, { message, status: 'APPLIED', error, at: this.deps.clock.now() }).catch(() => {});
  }

  /**
   * The end of a grant whose subject was changed in LeanIX outside Keywarden (leanix/sync.ts), as
   * the sync records it in its own compare-and-set of the subject: the grant closed, the role left
   * as LeanIX shows it. `from` and `to` are the role before and after the change made outside.
   */
  endedOutsideEntry(grant: Grant, from: Role, to: Role, at: Date): AppliedChange {
    return { id: grantEndId(grant.requestId), at, before: { role: from }, after: { role: to }, end: { how: 'outside', to } };
  }

  /** Finishes an end the sync made: its history line and its one message (a re-run, or the grant's timer later, finds it done). */
  async finishEndedOutside(ref: SubjectRef, grantId: string): Promise<void> {
    const s = await this.subjects.findById(ref);
    const made = s && appliedChange(s.applied, grantEndId(grantId));
    if (!s || !made?.end) return;
    this.deps.observer?.grantEnded(made.end.how);
    await this.recordEnd(s, grantId, made, made.end);
    await this.tellEnd(s, grantId, made, made.end);
  }

  /** The request a grant came from, as the DM's buttons name it. */
  findRequest(grantId: string): Promise<ChangeRequest | null> {
    return this.deps.store.requests.findById(grantId);
  }
}

/** The same end: how, and by whom. */
function sameEnd(a: GrantEnd, b: GrantEnd): boolean {
  return a.how === b.how && ('by' in a ? a.by : null) === ('by' in b ? b.by : null);
}
