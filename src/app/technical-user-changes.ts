/**
 * Two technical-user requests beside those of technical-user-requests.ts, which delegates them
 * here: `techuser.owner` (transfer ownership, ownership-reviews.ts) and `techuser.update` (the
 * seed's "update the desired information": description, customer roles, access control entities).
 * Both are refused before approval when they would change nothing, and carried out idempotently:
 * an update is remembered on the technical user in the same compare-and-set that makes the change
 * (domain/applied.ts), a transfer on the ownership record in the same way (ownership-reviews.ts), and the history
 * line's id is the request id, so a re-run writes it once and, finding it, changes nothing.
 */
import { Codes, DomainError } from '../domain/errors.js';
import { requesterActor } from '../domain/request.js';
import type { Actor } from '../domain/history.js';
import type { ChangeRequest, NewRequest, ParamsByKind } from '../domain/request.js';
import { appliedChange, remember, type AppliedChange } from '../domain/applied.js';
import { checkLabels, type TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import type { RequestHandler } from './handlers.js';
import type { OwnershipReviewService } from './ownership-reviews.js';
import { ConcurrentChangeError } from './permissions.js';
import { LOCAL_ONLY, type ChangeTargets, type Clock, type Store, type TechnicalUserDetails } from './ports.js';
import { approvedTechnicalUser, technicalUserGone } from './technical-user-subject.js';
import type { TechnicalUserService } from './technical-users.js';

type Change = Extract<NewRequest, { kind: 'techuser.owner' | 'techuser.update' }>;
type Update = ParamsByKind['techuser.update'];
const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;
export const MAX_DESCRIPTION = 500;

export class TechnicalUserChanges implements RequestHandler {
  constructor(
    private readonly deps: {
      store: Store; users: TechnicalUserService; clock: Clock; owners: Pick<OwnershipReviewService, 'adopt' | 'transfer'>;
      /** Where an update is made, per workspace: the records, or a connected LeanIX (first, then the record). */
      targets?: ChangeTargets;
    },
  ) {}

  /** For an update, returns what the approvers see of the fields it changes, kept on the request (`seen`). */
  async check(ws: Workspace, r: NewRequest): Promise<void | Record<string, string>> {
    const c = asChange(r);
    const tu = await this.deps.users.get(ws.id, c.params.userName);
    if (c.kind === 'techuser.owner') {
      if (!SLACK_USER.test(c.params.owner)) throw new DomainError(Codes.REVIEW_BAD_OWNER, 'The new owner must be a Slack user: mention them with @.');
      if ((await this.deps.owners.adopt(tu)).owner === c.params.owner) {
        throw new DomainError(Codes.TECHUSER_UNCHANGED, `<@${c.params.owner}> already owns ${tu.userName}.`);
      }
      return;
    }
    checkUpdate(c.params);
    const fields = changes(tu, c.params);
    if (Object.keys(fields).length === 0) {
      throw new DomainError(Codes.TECHUSER_UNCHANGED, `That update changes nothing: ${tu.userName} already has that description, those customer roles and access control entities.`);
    }
    return seenOf(tu, Object.keys(asked(c.params)));
  }

  async carryOut(r: ChangeRequest, ws: Workspace, mayChange: () => void): Promise<string> {
    const c = asChange(r) as Extract<ChangeRequest, { kind: 'techuser.owner' | 'techuser.update' }>;
    const actor = requesterActor(c);
    const approvers = c.approvals.map((a) => a.by);
    // Its history line is written right after the change: there means done, whatever changed since.
    const recorded = await this.deps.store.history.findById(c.id);
    if (recorded) return c.kind === 'techuser.owner' ? transferred(c.params.userName, c.params.owner) : updated(c.params.userName, recorded.after);
    const { tu, replaced } = await approvedTechnicalUser(this.deps.store, c.workspaceId, c.params);
    if (!tu) throw technicalUserGone(c.params.userName, replaced);
    if (c.kind === 'techuser.owner') {
      // Remembered on the ownership record with the owner: a re-run (after later transfers too)
      // finds its transfer made, changes nothing, and writes the history line it may have missed.
      const { before } = await this.deps.owners.transfer(tu, c.params.owner, c.id, mayChange);
      await this.deps.users.record(tu, 'techuser.owner_changed', actor, c.id, approvers, { owner: before }, { owner: c.params.owner });
      return transferred(c.params.userName, c.params.owner);
    }
    return this.update(c, ws, tu, actor, approvers, mayChange);
  }

  private async update(
    c: Extract<ChangeRequest, { kind: 'techuser.update' }>, ws: Workspace, first: TechnicalUser, actor: Actor, approvers: string[],
    mayChange: () => void,
  ): Promise<string> {
    const { store, users, clock } = this.deps;
    const target = (this.deps.targets ?? LOCAL_ONLY).forWorkspace(ws);
    let tu: TechnicalUser | null = first;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!tu) throw new DomainError(Codes.TECHUSER_NOT_FOUND, `There is no technical user named ${c.params.userName} any more.`);
      let made = appliedChange(tu.applied, c.id);
      if (!made) {
        mayChange();
        if (target.kind !== 'local') {
          // Made in LeanIX first (read, compare with what the approvers saw, write, read back), then the mirror.
          const details = asked(c.params);
          await target.updateTechnicalUser({
            workspace: ws, requestId: c.id, approvedAt: c.decidedAt, technicalUser: tu,
            seen: c.seen ?? seenOf(tu, Object.keys(details)), change: { details },
          });
        }
        const fields = changes(tu, c.params);
        const before = Object.fromEntries(Object.keys(fields).map((k) => [k, tu![k as keyof typeof fields]]));
        const entry: AppliedChange = { id: c.id, at: clock.now(), before, after: { ...fields } };
        const changed = await store.technicalUsers.update(tu.id, tu.version, { ...fields, lastRequestId: c.id, applied: remember(tu.applied, entry) });
        if (!changed) {
          const now = await approvedTechnicalUser(store, c.workspaceId, c.params);
          if (!now.tu) throw technicalUserGone(c.params.userName, now.replaced);
          tu = now.tu;
          continue; // changed meanwhile: re-read, and the fields to change with it
        }
        tu = changed;
        made = entry;
      }
      await users.record(tu, 'techuser.updated', actor, c.id, approvers, made.before, made.after, undefined, made.at);
      return updated(tu.userName, made.after);
    }
    throw new ConcurrentChangeError(`technical user ${c.params.userName} kept changing; try again`);
  }
}

const transferred = (userName: string, owner: string) => `${userName} is now owned by <@${owner}>; its next review is a full period away.`;

/** What an update set, as its history line or memory says (the fields it really changed). */
function updated(userName: string, after: Record<string, unknown> | null): string {
  const set = Object.entries(after ?? {}).map(([k, v]) => `${k === 'accessControlEntities' ? 'access control entities' : k === 'customerRoles' ? 'customer roles' : k} ${Array.isArray(v) ? (v.length ? v.join(', ') : 'none') : `"${String(v)}"`}`);
  return set.length ? `${userName} updated: ${set.join('; ')}.` : `${userName} already had what the update asked for.`;
}

/** The fields an update names, as it names them (LeanIX is given these; the mirror only those that differ). */
function asked(u: Update): TechnicalUserDetails {
  return {
    ...(u.description !== undefined ? { description: u.description } : {}),
    ...(u.customerRoles ? { customerRoles: u.customerRoles } : {}),
    ...(u.accessControlEntities ? { accessControlEntities: u.accessControlEntities } : {}),
  };
}

/** What the approvers see of these fields: the description as it is, lists as labels joined with commas. */
function seenOf(tu: TechnicalUser, keys: string[]): Record<string, string> {
  const value = (k: string) => (k === 'description' ? tu.description : (k === 'customerRoles' ? tu.customerRoles : tu.accessControlEntities).join(','));
  return Object.fromEntries(keys.filter((k) => k in FIELDS).map((k) => [k, value(k)]));
}

const FIELDS = { description: true, customerRoles: true, accessControlEntities: true } as const;

/** The fields an update would really change, with their new values. */
function changes(tu: TechnicalUser, u: Update): Partial<Pick<TechnicalUser, 'description' | 'customerRoles' | 'accessControlEntities'>> {
  const out: Partial<Pick<TechnicalUser, 'description' | 'customerRoles' | 'accessControlEntities'>> = {};
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (u.description !== undefined && u.description !== tu.description) out.description = u.description;
  if (u.customerRoles && !same(u.customerRoles, tu.customerRoles)) out.customerRoles = u.customerRoles;
  if (u.accessControlEntities && !same(u.accessControlEntities, tu.accessControlEntities)) out.accessControlEntities = u.accessControlEntities;
  return out;
}

function checkUpdate(u: Update): void {
  if (u.description === undefined && !u.customerRoles && !u.accessControlEntities) {
    throw new DomainError(Codes.TECHUSER_UNCHANGED, 'Say what to update: description:"…", roles:a,b and/or aces:x,y.');
  }
  if (u.description !== undefined && u.description.length > MAX_DESCRIPTION) {
    throw new DomainError(Codes.TECHUSER_BAD_LABEL, `A description has at most ${MAX_DESCRIPTION} characters.`);
  }
  if (u.customerRoles) checkLabels('customer role', u.customerRoles);
  if (u.accessControlEntities) checkLabels('access control entity', u.accessControlEntities);
}

function asChange(r: NewRequest): Change {
  if (r.kind !== 'techuser.owner' && r.kind !== 'techuser.update') throw new Error(`not an owner transfer or update: ${r.kind}`);
  return r;
}
