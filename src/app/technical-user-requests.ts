/**
 * Technical-user requests: rules checked before approval, and idempotent application. Each
 * application records the request id on the technical user in the same compare-and-set that
 * makes the change, so a retried job recognises its own work and only finishes the history.
 */
import { Codes, DomainError } from '../domain/errors.js';
import type { ChangeRequest, NewRequest } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import { firstWarningAt } from '../domain/expiry-warnings.js';
import { checkLabels, checkUserName, expiryDate, expiryFromDate } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import type { RequestHandler } from './handlers.js';
import type { Clock, Store } from './ports.js';
import { ConcurrentChangeError } from './permissions.js';
import type { TechnicalUserService } from './technical-users.js';

type TechRequest = Extract<ChangeRequest, { kind: `techuser.${string}` }>;
type TechNew = Extract<NewRequest, { kind: `techuser.${string}` }>;

export class TechnicalUserRequests implements RequestHandler {
  constructor(private readonly deps: { store: Store; users: TechnicalUserService; clock: Clock }) {}

  async check(ws: Workspace, r: NewRequest): Promise<void> {
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
        if (tu.role === t.params.role) throw new DomainError(Codes.TECHUSER_UNCHANGED, `${tu.userName} already has the role ${tu.role}.`);
        return;
      case 'techuser.delete':
        return;
    }
  }

  async carryOut(r: ChangeRequest, ws: Workspace): Promise<string> {
    const t = asTech(r) as TechRequest;
    const warningDays = ws.policy.expiryWarningDays;
    if (t.kind === 'techuser.create') return this.create(t, warningDays);
    for (let attempt = 0; attempt < 5; attempt++) {
      const tu = await this.deps.store.technicalUsers.findByName(t.workspaceId, t.params.userName);
      if (!tu) {
        // Deleting what is gone has nothing left to do (a retried delete lands here); any other
        // change has lost its subject.
        if (t.kind === 'techuser.delete') return `${t.params.userName} was already deleted.`;
        throw new DomainError(Codes.TECHUSER_NOT_FOUND, `There is no technical user named ${t.params.userName} any more.`);
      }
      if (tu.lastRequestId === t.id) return this.finish(t, tu, null);
      this.rule(tu, t, this.deps.clock.now());
      const before = snapshot(tu);
      const changed = await this.apply(t, tu, warningDays);
      if (changed === null) continue; // changed meanwhile: re-read, re-check
      return this.finish(t, changed, before);
    }
    throw new ConcurrentChangeError(`technical user ${t.params.userName} kept changing; try again`);
  }

  /** One compare-and-set that makes the change and records the request id with it. */
  private async apply(
    t: Exclude<TechRequest, { kind: 'techuser.create' }>, tu: TechnicalUser, warningDays: number[],
  ): Promise<TechnicalUser | null> {
    const { store, users, clock } = this.deps;
    switch (t.kind) {
      case 'techuser.rotate': {
        const token = await users.tokenFor(t, tu.id);
        const expiresAt = tu.token?.expiresAt ?? new Date(clock.now().getTime());
        // A new token starts its expiry-warning count again, for the same date.
        return store.technicalUsers.update(tu.id, tu.version, { token: users.newStoredToken(token, expiresAt, warningDays), lastRequestId: t.id });
      }
      case 'techuser.expiry': {
        // Same token, new date: the warnings count again from the new date.
        const expiresAt = expiryFromDate(t.params.expiry, clock.now());
        return store.technicalUsers.update(tu.id, tu.version, {
          token: { ...tu.token!, expiresAt, nextWarningAt: firstWarningAt(expiresAt, warningDays), lastWarnedDays: null },
          lastRequestId: t.id,
        });
      }
      case 'techuser.role':
        return store.technicalUsers.update(tu.id, tu.version, { role: t.params.role, lastRequestId: t.id });
      case 'techuser.delete':
        // Marked first, deleted in finish() after the history line is written: a run that dies in
        // between is finished by the next one, which sees its own mark.
        return store.technicalUsers.update(tu.id, tu.version, { lastRequestId: t.id });
    }
  }

  private async create(t: Extract<TechRequest, { kind: 'techuser.create' }>, warningDays: number[]): Promise<string> {
    const { store, users, clock } = this.deps;
    const existing = await store.technicalUsers.findByName(t.workspaceId, t.params.userName);
    if (existing && existing.lastRequestId !== t.id) {
      throw new DomainError(Codes.TECHUSER_EXISTS, `A technical user named ${t.params.userName} already exists.`);
    }
    if (existing) return this.finish(t, existing, null);
    // The id is derived from the request so a concurrent run of the same request inserts the same record.
    const id = t.id;
    const token = await users.tokenFor(t, id);
    const expiresAt = expiryFromDate(t.params.expiry, clock.now());
    const tu: TechnicalUser = {
      id, workspaceId: t.workspaceId, userName: t.params.userName, description: t.params.description,
      role: t.params.role, customerRoles: t.params.customerRoles, accessControlEntities: t.params.accessControlEntities,
      token: users.newStoredToken(token, expiresAt, warningDays), createdAt: clock.now(), version: 0, lastRequestId: t.id,
    };
    if (!(await store.technicalUsers.insert(tu))) {
      const now = await store.technicalUsers.findByName(t.workspaceId, t.params.userName);
      if (now?.lastRequestId !== t.id) throw new DomainError(Codes.TECHUSER_EXISTS, `A technical user named ${t.params.userName} already exists.`);
      return this.finish(t, now, null);
    }
    return this.finish(t, tu, null);
  }

  /**
   * Writes the history line (idempotent by request id; `before` is null on a retried run, which
   * then adds nothing new) and says what happened. Completes a delete.
   */
  private async finish(t: TechRequest, tu: TechnicalUser, before: Record<string, unknown> | null): Promise<string> {
    const actor = { type: 'slack', id: t.requester } as const;
    const approvers = t.approvals.map((a) => a.by);
    const deleting = t.kind === 'techuser.delete';
    const after = deleting ? null : snapshot(tu);
    const diff = (a: Record<string, unknown> | null, b: Record<string, unknown> | null) =>
      a && b ? Object.fromEntries(Object.entries(a).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(b[k]))) : a;
    await this.deps.users.record(tu, ACTIONS[t.kind], actor, t.id, approvers, diff(before, after), diff(after, before));
    if (deleting && !(await this.deps.store.technicalUsers.delete(tu.id, tu.version))) {
      throw new ConcurrentChangeError(`technical user ${tu.userName} changed while being deleted; try again`);
    }
    const name = tu.userName;
    switch (t.kind) {
      case 'techuser.create':
        return `Technical user ${name} created (${tu.role}, token expires ${expiryDate(tu.token!.expiresAt)}). The requester can reveal the token once.`;
      case 'techuser.rotate':
        return `The token of ${name} was replaced; the old one no longer works. The requester can reveal the new token once.`;
      case 'techuser.expiry':
        return `The token of ${name} now expires ${expiryDate(tu.token!.expiresAt)} (same token).`;
      case 'techuser.role':
        return `${name} now has the role ${tu.role}.`;
      case 'techuser.delete':
        return `${name} was deleted, and its token with it.`;
    }
  }

}

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
  if (!r.kind.startsWith('techuser.')) throw new Error(`not a technical-user request: ${r.kind}`);
  return r as TechNew;
}
