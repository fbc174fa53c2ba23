/**
 * Technical-user requests: rules checked before approval, and idempotent application. Each
 * application remembers the request on the technical user in the same compare-and-set that makes
 * the change (domain/applied.ts), so a retried job recognises its own work, whatever changed
 * since, and only finishes the history.
 */
import { Codes, DomainError } from '../domain/errors.js';
import { requesterActor } from '../domain/request.js';
import { isTechuserChange, type ChangeRequest, type NewRequest, type TechuserChangeKind } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { AppliedChange } from '../domain/applied.js';
import { appliedChange, diff, remember } from '../domain/applied.js';
import { firstWarningAt } from '../domain/expiry-warnings.js';
import { checkLabels, checkUserName, expiryDate, expiryFromDate } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import type { RequestHandler } from './handlers.js';
import { LOCAL_ONLY, type ChangeTarget, type ChangeTargets, type Clock, type MadeToken, type Store } from './ports.js';
import { ConcurrentChangeError } from './permissions.js';
import { recordSupersededBy } from './grant-history.js';
import { approvedTechnicalUser, technicalUserGone } from './technical-user-subject.js';
import type { TechnicalUserService } from './technical-users.js';

/** Grants and their extensions go to GrantRequests (isGrantRequest), never here; owner transfers and
 * updates are technical-user-changes.ts's, delegated whole. */
type TechRequest = Exclude<Extract<ChangeRequest, { kind: `techuser.${string}` }>, { kind: 'techuser.extend' | TechuserChangeKind }>;
type TechNew = Exclude<Extract<NewRequest, { kind: `techuser.${string}` }>, { kind: 'techuser.extend' | TechuserChangeKind }>;

export class TechnicalUserRequests implements RequestHandler {
  constructor(
    private readonly deps: {
      store: Store; users: TechnicalUserService; clock: Clock;
      /** Gives a new technical user its owner (the requester) and review period (ownership-reviews.ts). */
      owners?: { adopt(tu: TechnicalUser, owner: string): Promise<unknown> };
      /** Carries out owner transfers and updates (technical-user-changes.ts). */
      changes?: RequestHandler;
      /** Where changes are made, per workspace: the records, or a connected LeanIX. */
      targets?: ChangeTargets;
    },
  ) {}

  /** Returns the role and expiry date the approvers will see, kept on the request (`seen`). */
  async check(ws: Workspace, r: NewRequest): Promise<void | Record<string, string>> {
    if (isTechuserChange(r.kind)) return this.changes().check(ws, r);
    const t = asTech(r);
    const now = this.deps.clock.now();
    if (t.kind === 'techuser.create') {
      checkUserName(t.params.userName);
      checkLabels('customer role', t.params.customerRoles);
      checkLabels('access control entity', t.params.accessControlEntities);
      expiryFromDate(t.params.expiry, now);
      if (await this.deps.store.technicalUsers.findByName(ws.id, t.params.userName)) {
        throw new DomainError(Codes.TECHUSER_EXISTS, `A technical user named ${t.params.userName} already exists in ${ws.name}.`);
      }
      return;
    }
    const tu = await this.deps.users.get(ws.id, t.params.userName);
    this.rule(tu, t, now);
    return { role: tu.role, ...(tu.token ? { expires: expiryDate(tu.token.expiresAt) } : {}) };
  }

  private changes(): RequestHandler {
    if (!this.deps.changes) throw new Error('no handler for technical-user owner transfers and updates');
    return this.deps.changes;
  }

  /** The rules for changing an existing technical user, against its current state. */
  private rule(tu: TechnicalUser, t: Exclude<TechNew, { kind: 'techuser.create' }>, now: Date) {
    switch (t.kind) {
      case 'techuser.rotate':
        if (tu.token && tu.token.expiresAt <= now) {
          throw new DomainError(Codes.TECHUSER_NO_TOKEN, `The token of ${tu.userName} has expired; set a new expiry date first (/techuser expiry).`);
        }
        return;
      case 'techuser.expiry': {
        const at = expiryFromDate(t.params.expiry, now);
        if (!tu.token) throw new DomainError(Codes.TECHUSER_NO_TOKEN, `${tu.userName} has no token; replace it with /techuser rotate.`);
        if (at.getTime() === tu.token.expiresAt.getTime()) {
          throw new DomainError(Codes.TECHUSER_UNCHANGED, `The token of ${tu.userName} already expires on ${t.params.expiry}.`);
        }
        return;
      }
      case 'techuser.role':
        // Under a grant, asking for the granted role keeps it for good (the grant is superseded).
        if (tu.role === t.params.role && !tu.grant) throw new DomainError(Codes.TECHUSER_UNCHANGED, `${tu.userName} already has the role ${tu.role}.`);
        return;
      case 'techuser.delete':
        return;
    }
  }

  async carryOut(r: ChangeRequest, ws: Workspace, mayChange: () => void): Promise<string> {
    if (isTechuserChange(r.kind)) return this.changes().carryOut(r, ws, mayChange);
    const t = asTech(r) as TechRequest;
    const warningDays = ws.policy.expiryWarningDays;
    if (t.kind === 'techuser.create') {
      const target = (this.deps.targets ?? LOCAL_ONLY).forWorkspace(ws);
      return target.kind === 'local' ? this.create(t, warningDays, mayChange) : this.createIn(target, ws, t, warningDays, mayChange);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const { tu, replaced } = await approvedTechnicalUser(this.deps.store, t.workspaceId, t.params);
      const remembered = tu && remembers(tu, t.id);
      if (remembered) {
        await recordSupersededBy(this.deps.store, { type: 'technicalUser', id: tu.id, label: tu.userName, workspaceId: tu.workspaceId }, remembered, requesterActor(t));
        return this.finish(t, tu, remembered);
      }
      // Not on this record (gone, forgotten, or a new one by the same name): the history line says.
      const recorded = await this.recorded(t.id);
      if (recorded) return this.finish(t, null, recorded);
      if (!tu) throw technicalUserGone(t.params.userName, replaced);
      mayChange();
      this.rule(tu, t, this.deps.clock.now());
      const madeToken = await this.inTarget(ws, t, tu);
      const before = snapshot(tu);
      // A role set under a grant closes it: the entry keeps it, for the superseded line.
      const superseded = t.kind === 'techuser.role' && tu.grant ? { superseded: tu.grant } : {};
      const changed = await this.apply(t, tu, warningDays, (after) => ({ id: t.id, at: this.deps.clock.now(), ...diff(before, after), ...superseded }), madeToken);
      if (changed === null) continue; // changed meanwhile: re-read, re-check
      const made = appliedChange(changed.applied, t.id)!;
      await recordSupersededBy(this.deps.store, { type: 'technicalUser', id: tu.id, label: tu.userName, workspaceId: tu.workspaceId }, made, requesterActor(t));
      return this.finish(t, changed, made);
    }
    throw new ConcurrentChangeError(`technical user ${t.params.userName} kept changing; try again`);
  }

  /**
   * In a connected workspace, the change is made in LeanIX before the record (ports/change-target.ts);
   * create and rotate are refused at submit there (connected-workspaces.ts), so never reach this.
   */
  private async inTarget(ws: Workspace, t: Exclude<TechRequest, { kind: 'techuser.create' }>, tu: TechnicalUser): Promise<MadeToken | null | void> {
    const target = (this.deps.targets ?? LOCAL_ONLY).forWorkspace(ws);
    if (target.kind === 'local') return;
    const base = { workspace: ws, requestId: t.id, approvedAt: t.decidedAt, technicalUser: tu };
    const seen = t.seen ?? { role: tu.role, ...(tu.token ? { expires: expiryDate(tu.token.expiresAt) } : {}) };
    if (t.kind === 'techuser.role') return target.updateTechnicalUser({ ...base, seen, change: { role: t.params.role } });
    if (t.kind === 'techuser.expiry') return target.updateTechnicalUser({ ...base, seen, change: { expires: t.params.expiry } });
    if (t.kind === 'techuser.delete') return target.deleteTechnicalUser(base);
    return target.replaceToken(base);
  }

  /**
   * A create in a connected workspace: made there first (or, made by an earlier run whose answer
   * was lost, found by its name and its token replaced; the request is marked before the create is
   * sent, so a technical user someone else made by that name is never taken for it), the token
   * sealed at once, then the record (the mirror) inserted with the target's id and the request
   * remembered on it.
   */
  private async createIn(target: ChangeTarget, ws: Workspace, t: Extract<TechRequest, { kind: 'techuser.create' }>, warningDays: number[], mayChange: () => void): Promise<string> {
    const { store, users, clock } = this.deps;
    const existing = await store.technicalUsers.findByName(t.workspaceId, t.params.userName);
    const remembered = existing ? remembers(existing, t.id) : null;
    if (remembered) return this.finish(t, existing, remembered);
    const recorded = await this.recorded(t.id);
    if (recorded) return this.finish(t, null, recorded);
    if (existing) throw new DomainError(Codes.TECHUSER_EXISTS, `A technical user named ${t.params.userName} already exists.`);
    mayChange();
    // Read afresh: the mark an earlier run set is on the request as stored, not as this job loaded it.
    const sentBefore = Boolean((await store.requests.findById(t.id))?.notices?.[CREATE_SENT]);
    const made = await target.createTechnicalUser({
      workspace: ws, requestId: t.id, approvedAt: t.decidedAt, userName: t.params.userName, role: t.params.role, expires: t.params.expiry,
      description: t.params.description, customerRoles: t.params.customerRoles, accessControlEntities: t.params.accessControlEntities,
      sentBefore, markSent: () => this.markCreateSent(t.id),
    });
    if (!made) throw new Error('a change target that is not the records made no technical user');
    const token = await users.sealToken(t, made.id, made.token);
    const expiresAt = expiryFromDate(t.params.expiry, clock.now());
    const tu: TechnicalUser = {
      id: made.id, workspaceId: t.workspaceId, userName: t.params.userName, description: t.params.description,
      role: t.params.role, customerRoles: t.params.customerRoles, accessControlEntities: t.params.accessControlEntities,
      token: users.newStoredToken(token, expiresAt, warningDays), createdAt: clock.now(), version: 0, lastRequestId: t.id,
    };
    tu.applied = [{ id: t.id, at: tu.createdAt, before: null, after: snapshot(tu) }];
    if (!(await store.technicalUsers.insert(tu))) {
      const now = await store.technicalUsers.findByName(t.workspaceId, t.params.userName);
      const mine = now && remembers(now, t.id);
      if (!mine) throw new DomainError(Codes.TECHUSER_EXISTS, `A technical user named ${t.params.userName} already exists.`);
      return this.finish(t, now, mine);
    }
    return this.finish(t, tu, tu.applied[0]!);
  }

  /**
   * Marks the request as having (perhaps) sent its create, before it is sent: a conditional write
   * on the request (the same compare-and-set as its once-only notices), so it is durable before
   * LeanIX can have made anything.
   */
  private async markCreateSent(requestId: string): Promise<void> {
    const { store, clock } = this.deps;
    if (await store.requests.claimNotice(requestId, CREATE_SENT, clock.now())) return;
    if ((await store.requests.findById(requestId))?.notices?.[CREATE_SENT]) return; // an earlier run's mark
    throw new Error(`could not mark request ${requestId} before sending its create`);
  }

  /**
   * The change a request made, as its history line tells it: for a technical user deleted since,
   * a record older than the memory on it, or a change so old that it was forgotten there.
   */
  private async recorded(requestId: string): Promise<AppliedChange | null> {
    const line = await this.deps.store.history.findById(requestId);
    return line ? { id: requestId, at: line.at, before: line.before, after: line.after } : null;
  }

  /**
   * One compare-and-set that makes the change and remembers it (`entry` says what it changed, from
   * the record as it will be).
   */
  private async apply(
    t: Exclude<TechRequest, { kind: 'techuser.create' }>, tu: TechnicalUser, warningDays: number[],
    entry: (after: Record<string, unknown> | null) => AppliedChange,
    /** The new token a connected target made (rotate), to seal instead of making one here. */
    madeToken?: MadeToken | null | void,
  ): Promise<TechnicalUser | null> {
    const { store, users, clock } = this.deps;
    const write = (fields: Partial<TechnicalUser>) => {
      const after = t.kind === 'techuser.delete' ? null : snapshot({ ...tu, ...fields });
      return store.technicalUsers.update(tu.id, tu.version, { ...fields, lastRequestId: t.id, applied: remember(tu.applied, entry(after)) });
    };
    switch (t.kind) {
      case 'techuser.rotate': {
        const token = madeToken ? await users.sealToken(t, tu.id, madeToken.token) : await users.tokenFor(t, tu.id);
        const expiresAt = tu.token?.expiresAt ?? new Date(clock.now().getTime());
        // A new token starts its expiry-warning count again, for the same date.
        return write({ token: users.newStoredToken(token, expiresAt, warningDays) });
      }
      case 'techuser.expiry': {
        // Same token, new date: the warnings count again from the new date.
        const expiresAt = expiryFromDate(t.params.expiry, clock.now());
        return write({ token: { ...tu.token!, expiresAt, nextWarningAt: firstWarningAt(expiresAt, warningDays), lastWarnedDays: null } });
      }
      case 'techuser.role':
        // A role set while a grant is active wins over the grant: it is closed, never reverted.
        return write(tu.grant ? { role: t.params.role, grant: null } : { role: t.params.role });
      case 'techuser.delete':
        // Marked first, deleted in finish() after the history line is written: a run that dies in
        // between is finished by the next one, which finds its own mark.
        return write({});
    }
  }

  private async create(t: Extract<TechRequest, { kind: 'techuser.create' }>, warningDays: number[], mayChange: () => void): Promise<string> {
    const { store, users, clock } = this.deps;
    const existing = await store.technicalUsers.findByName(t.workspaceId, t.params.userName);
    // The record's id is the request's: a technical user with that id, or any history of one, is
    // this request's work (even if it was deleted or renamed since).
    const remembered = existing?.id === t.id ? remembers(existing, t.id) : null;
    if (remembered) return this.finish(t, existing, remembered);
    const recorded = await this.recorded(t.id);
    if (recorded) return this.finish(t, null, recorded);
    if (existing) throw new DomainError(Codes.TECHUSER_EXISTS, `A technical user named ${t.params.userName} already exists.`);
    if ((await store.history.listBySubject('technicalUser', t.id, 1)).length > 0) {
      return `Technical user ${t.params.userName} was created, and has been changed or deleted since.`;
    }
    mayChange();
    const id = t.id;
    const token = await users.tokenFor(t, id);
    const expiresAt = expiryFromDate(t.params.expiry, clock.now());
    const tu: TechnicalUser = {
      id, workspaceId: t.workspaceId, userName: t.params.userName, description: t.params.description,
      role: t.params.role, customerRoles: t.params.customerRoles, accessControlEntities: t.params.accessControlEntities,
      token: users.newStoredToken(token, expiresAt, warningDays), createdAt: clock.now(), version: 0, lastRequestId: t.id,
    };
    tu.applied = [{ id: t.id, at: tu.createdAt, before: null, after: snapshot(tu) }];
    if (!(await store.technicalUsers.insert(tu))) {
      // A concurrent run of the same request inserted the same record (same id), or someone else took the name.
      const now = await store.technicalUsers.findByName(t.workspaceId, t.params.userName);
      if (now?.id !== t.id) throw new DomainError(Codes.TECHUSER_EXISTS, `A technical user named ${t.params.userName} already exists.`);
      return this.finish(t, now, remembers(now, t.id) ?? tu.applied[0]!);
    }
    return this.finish(t, tu, tu.applied[0]!);
  }

  /**
   * Writes the history line of the change (idempotent by request id) and says what happened;
   * completes a delete. `tu` is the technical user as it is now (null when it is gone), `made`
   * what this request changed: the outcome describes the request's own change, not later ones.
   */
  private async finish(t: TechRequest, tu: TechnicalUser | null, made: AppliedChange): Promise<string> {
    const actor = requesterActor(t);
    const approvers = t.approvals.map((a) => a.by);
    if (tu) await this.deps.users.record(tu, ACTIONS[t.kind], actor, t.id, approvers, made.before, made.after, undefined, made.at);
    if (tu && t.kind === 'techuser.create') await this.deps.owners?.adopt(tu, t.requester);
    if (tu && t.kind === 'techuser.delete' && !(await this.deps.store.technicalUsers.delete(tu.id, tu.version))) {
      throw new ConcurrentChangeError(`technical user ${tu.userName} changed while being deleted; try again`);
    }
    const name = t.params.userName;
    const after = { ...made.after };
    switch (t.kind) {
      case 'techuser.create':
        return `Technical user ${name} created (${String(after.role ?? t.params.role)}, token expires ${String(after.expires ?? t.params.expiry)}). The requester can reveal the token once.`;
      case 'techuser.rotate':
        return `The token of ${name} was replaced; the old one no longer works. The requester can reveal the new token once.`;
      case 'techuser.expiry':
        return `The token of ${name} now expires ${t.params.expiry} (same token).`;
      case 'techuser.role':
        return `${name} now has the role ${t.params.role}.`;
      case 'techuser.delete':
        return `${name} was deleted, and its token with it.`;
    }
  }
}

/**
 * The change `requestId` made to this technical user, as it remembers it. A record written before
 * technical users remembered their changes knows only its last request (lastRequestId).
 */
function remembers(tu: TechnicalUser, requestId: string): AppliedChange | null {
  return appliedChange(tu.applied, requestId) ?? (tu.lastRequestId === requestId ? { id: requestId, at: tu.createdAt, before: null, after: snapshot(tu) } : null);
}

/** The request's mark that its create was (perhaps) sent to the connected target: see markCreateSent. */
const CREATE_SENT = 'leanix-create-sent';

const ACTIONS: Record<TechRequest['kind'], string> = {
  'techuser.create': 'techuser.created',
  'techuser.rotate': 'techuser.token_replaced',
  'techuser.expiry': 'techuser.expiry_changed',
  'techuser.role': 'techuser.role_changed',
  'techuser.delete': 'techuser.deleted',
};

/** What history shows of a technical user: never the token, only its last four and dates. */
function snapshot(tu: TechnicalUser): Record<string, unknown> {
  return {
    role: tu.role, description: tu.description, customerRoles: tu.customerRoles, accessControlEntities: tu.accessControlEntities,
    tokenLastFour: tu.token?.lastFour ?? null, expires: tu.token ? expiryDate(tu.token.expiresAt) : null,
  };
}

function asTech(r: NewRequest): TechNew {
  if (isTechuserChange(r.kind)) throw new Error(`${r.kind} is carried out by technical-user-changes.ts`);
  if (!r.kind.startsWith('techuser.')) throw new Error(`not a technical-user request: ${r.kind}`);
  return r as TechNew;
}
