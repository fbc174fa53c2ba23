/**
 * Grant requests: a role for a time (`permission.role` / `techuser.role` with `minutes`) and more
 * time for an active grant (`*.extend`). Checked before approval against the workspace's grant
 * policy and the subject as it is; carried out as one compare-and-set that gives (or extends)
 * the grant and remembers the request, so a re-run never gives it twice.
 */
import { appliedChange, remember, type AppliedChange } from '../domain/applied.js';
import { requesterActor } from '../domain/request.js';
import { Codes, DomainError, isDomainError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import { checkGrantPolicy, extendedUntil, grantEnds } from '../domain/grant.js';
import { durationWords } from '../domain/durations.js';
import { checkBreakGlassExtension } from '../domain/policy.js';
import { recordSupersededBy } from './grant-history.js';
import type { SubjectType } from '../domain/history.js';
import type { ChangeRequest, NewRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { GrantService } from './grants.js';
import type { GrantSubject } from './grant-subjects.js';
import type { RequestHandler } from './handlers.js';
import { ConcurrentChangeError } from './permissions.js';
import { technicalUserGone } from './technical-user-subject.js';
import { ChangedOutsideError, type Clock, type Store } from './ports.js';
import { isRole } from '../domain/permission.js';

type GrantNew = Extract<NewRequest, { kind: 'permission.role' | 'techuser.role' | 'permission.extend' | 'techuser.extend' }>;

const subjectType = (r: GrantNew): SubjectType => (r.kind.startsWith('techuser.') ? 'technicalUser' : 'permission');
const labelOf = (r: GrantNew): string => ('email' in r.params ? r.params.email : r.params.userName);
const noun = (type: SubjectType, label: string) => (type === 'permission' ? label : `technical user ${label}`);

export class GrantRequests implements RequestHandler {
  constructor(private readonly deps: { store: Store; grants: GrantService; clock: Clock }) {}

  /** Returns, for a grant's start, the role the approvers see (kept on the request as `seen`). */
  async check(ws: Workspace, r: NewRequest): Promise<void | Record<string, string>> {
    const g = asGrant(r);
    const s = await this.subject(ws, g);
    this.rule(ws, g, s, this.deps.clock.now(), await this.breakGlassGrant(g));
    if (g.kind === 'permission.role' || g.kind === 'techuser.role') return { role: s.role };
  }

  /**
   * The rules against the subject as it is now (before approval, and again before the change).
   * `breakGlass`: the grant an extension extends was break-glass (capped from its start).
   */
  private rule(ws: Workspace, g: GrantNew, s: GrantSubject, now: Date, breakGlass: boolean): void {
    const who = noun(s.type, s.label);
    if (g.kind === 'permission.extend' || g.kind === 'techuser.extend') {
      if (s.grant?.requestId !== g.params.grantId) {
        throw new DomainError(Codes.GRANT_NOT_ACTIVE, `That grant of ${who} has already ended; ask for a new one.`);
      }
      // It was approved under the rule of the role it names (domain/policy.ts extensionRule):
      // that must be the grant's role. Extensions asked for before they named it are refused.
      if (g.params.grantRole !== s.grant.role) {
        throw new DomainError(Codes.GRANT_NOT_ACTIVE, `This extension does not name the role of the grant of ${who} (${s.grant.role}), so it was not approved under that grant's rule; ask for the extension again.`);
      }
      const until = extendedUntil(ws.policy, ws.name, s.grant.until, g.params.minutes, now);
      if (breakGlass) checkBreakGlassExtension(ws.policy, s.grant, until);
      return;
    }
    checkGrantPolicy(ws.policy, ws.name, g.params.role, g.params.minutes ?? null);
    if (s.grant && s.grant.role === g.params.role) {
      throw new DomainError(Codes.PERMISSION_UNCHANGED, `${who} already has ${g.params.role} until ${s.grant.until.toISOString().slice(0, 16).replace('T', ' ')} UTC; extend that grant instead.`);
    }
    if (!s.grant && s.role === g.params.role) {
      throw new DomainError(Codes.PERMISSION_UNCHANGED, `${who} already has the role ${s.role}.`);
    }
  }

  async carryOut(r: ChangeRequest, ws: Workspace, mayChange: () => void): Promise<string> {
    const g = asGrant(r);
    const breakGlass = await this.breakGlassGrant(g);
    for (let attempt = 0; attempt < 5; attempt++) {
      const s = await this.subject(ws, g).catch(async (err: unknown) => {
        // The technical user it was made for is gone: done if its line says so, else not at all.
        const line = isDomainError(err) && err.code === Codes.TECHUSER_NOT_FOUND ? await this.recorded(r.id) : null;
        if (!line) throw err;
        return line;
      });
      if (!('type' in s)) return this.outcome(g, 'technicalUser', labelOf(g), s);
      const made = appliedChange(s.applied, r.id) ?? (await this.recorded(r.id));
      if (made) {
        await recordSupersededBy(this.deps.store, s, made, requesterActor(r));
        // A run that died before setting the timer: set it now (the same end is one job).
        if (s.grant && s.grant.requestId === grantIdOf(g, r)) await this.deps.grants.schedule({ type: s.type, id: s.id }, s.grant);
        return this.finish(r, g, s, made);
      }
      mayChange();
      this.rule(ws, g, s, this.deps.clock.now(), breakGlass);
      await this.inTarget(r, g, s, ws);
      // The grant runs from when its role is made (after LeanIX, which may have kept it waiting).
      const now = this.deps.clock.now();
      const change = g.kind === 'permission.extend' || g.kind === 'techuser.extend'
        ? this.extension(s, g.params.minutes, ws, now)
        : this.grant(r, s, g.params.role, g.params.minutes!, now);
      const entry: AppliedChange = { id: r.id, at: now, before: change.before, after: change.after, ...(change.superseded ? { superseded: change.superseded } : {}) };
      const done = await this.deps.grants.subjects.update(s, { ...change.fields, applied: remember(s.applied, entry) });
      if (!done) continue; // changed meanwhile: re-read, re-check
      await recordSupersededBy(this.deps.store, s, entry, requesterActor(r));
      await this.deps.grants.schedule({ type: s.type, id: s.id }, done.grant!);
      return this.finish(r, g, done, entry);
    }
    throw new ConcurrentChangeError(`${labelOf(g)} kept changing while a grant was applied; try again`);
  }

  /**
   * In a connected workspace, LeanIX before the record (grant-targets.ts): a grant's role is made
   * there from what the approvers saw; an extension changes nothing there, but LeanIX must still
   * show the grant's role, else the grant is not extended (its role was changed there outside
   * Keywarden, and the next sync ends the grant without reverting that change).
   */
  private async inTarget(r: ChangeRequest, g: GrantNew, s: GrantSubject, ws: Workspace): Promise<void> {
    const targets = this.deps.grants.inTarget;
    if (!targets.elsewhere(ws)) return;
    if (g.kind === 'permission.role' || g.kind === 'techuser.role') {
      const seen = r.seen?.role;
      await targets.start(ws, s, { requestId: r.id, approvedAt: r.decidedAt, seen: seen && isRole(seen) ? seen : s.role, role: g.params.role });
      return;
    }
    const role = s.grant!.role;
    await targets.confirm(ws, s, { requestId: r.id, approvedAt: r.decidedAt, role }).catch((err: unknown) => {
      if (!(err instanceof ChangedOutsideError)) throw err;
      throw new DomainError(err.code, `LeanIX shows ${String(err.shows.role)}, not ${role} as granted: it was changed in LeanIX outside Keywarden, so the grant was not extended.`);
    });
  }

  /** A new grant; one already active on the subject is superseded, and the role goes back to what it went back to. */
  private grant(r: ChangeRequest, s: GrantSubject, role: Grant['role'], minutes: number, now: Date) {
    const grant: Grant = { requestId: r.id, requester: r.requester, role, revertTo: s.grant?.revertTo ?? s.role, grantedAt: now, until: grantEnds(now, minutes) };
    return {
      fields: { role, grant },
      before: { role: s.role },
      after: { role, until: grant.until, revertTo: grant.revertTo },
      superseded: s.grant,
    };
  }

  private extension(s: GrantSubject, minutes: number, ws: Workspace, now: Date) {
    const until = extendedUntil(ws.policy, ws.name, s.grant!.until, minutes, now);
    return { fields: { grant: { ...s.grant!, until } }, before: { until: s.grant!.until }, after: { until }, superseded: null };
  }

  /** The history line (idempotent: a re-run only makes sure of it) and the outcome. */
  private async finish(r: ChangeRequest, g: GrantNew, s: GrantSubject, made: AppliedChange): Promise<string> {
    const extend = g.kind === 'permission.extend' || g.kind === 'techuser.extend';
    const kind = s.type === 'permission' ? 'permission' : 'techuser';
    await this.deps.store.history.append({
      id: r.id, workspaceId: s.workspaceId, subject: { type: s.type, id: s.id, label: s.label },
      action: extend ? `${kind}.grant_extended` : `${kind}.granted`, actor: requesterActor(r), requestId: r.id,
      approvers: r.approvals.map((a) => a.by), before: made.before, after: made.after, at: made.at,
    });
    return this.outcome(g, s.type, s.label, made);
  }

  private outcome(g: GrantNew, type: SubjectType, label: string, made: AppliedChange): string {
    const until = made.after?.until instanceof Date ? made.after.until.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '?';
    if (g.kind === 'permission.extend' || g.kind === 'techuser.extend') return `The grant of ${noun(type, label)} now ends ${until}.`;
    return `${noun(type, label)} has the role ${String(made.after?.role)} for ${durationWords(g.params.minutes!)}, until ${until}; then ${String(made.after?.revertTo)} again.`;
  }

  /** Whether the grant an extension extends was given by break-glass (its request says so for good). */
  private async breakGlassGrant(g: GrantNew): Promise<boolean> {
    if (g.kind !== 'permission.extend' && g.kind !== 'techuser.extend') return false;
    return Boolean((await this.deps.store.requests.findById(g.params.grantId))?.breakGlass);
  }

  private async recorded(requestId: string): Promise<AppliedChange | null> {
    const line = await this.deps.store.history.findById(requestId);
    return line ? { id: requestId, at: line.at, before: line.before, after: line.after } : null;
  }

  private async subject(ws: Workspace, g: GrantNew): Promise<GrantSubject> {
    const type = subjectType(g);
    const s = await this.deps.grants.subjects.find(type, ws.id, labelOf(g));
    // A grant of a technical user is given to the one it was asked for (technical-user-subject.ts).
    const approvedId = g.kind === 'techuser.role' ? g.params.technicalUserId : undefined;
    if (approvedId && s?.id !== approvedId) throw technicalUserGone(labelOf(g), s !== null);
    if (s) return s;
    throw type === 'permission'
      ? new DomainError(Codes.PERMISSION_NOT_FOUND, `${labelOf(g)} has no permission in workspace ${ws.name}; invite them first.`)
      : new DomainError(Codes.TECHUSER_NOT_FOUND, `There is no technical user named ${labelOf(g)} in workspace ${ws.name}.`);
  }
}

/** The grant a request is about: its own id for a grant, the grant it extends for an extension. */
const grantIdOf = (g: GrantNew, r: ChangeRequest): string =>
  g.kind === 'permission.extend' || g.kind === 'techuser.extend' ? g.params.grantId : r.id;

function asGrant(r: NewRequest): GrantNew {
  if (r.kind !== 'permission.role' && r.kind !== 'techuser.role' && r.kind !== 'permission.extend' && r.kind !== 'techuser.extend') {
    throw new Error(`not a grant request: ${r.kind}`);
  }
  return r;
}
