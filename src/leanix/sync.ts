/**
 * The mirror of a connected workspace brought to what LeanIX holds: every permission and every
 * technical user, read a page at a time, each compared with the mirror first and written only
 * when it differs (a sync that finds nothing changed writes nothing). Each write is one
 * compare-and-set of the mirror's record; a difference Keywarden did not make is drift
 * (drift.ts), remembered on the record in that same write so it is recorded once.
 *
 * The first sync of a workspace takes LeanIX in as it is (no drift: there was no mirror to
 * differ from) and leaves a `leanix.mirrored` history line; every later one tells drift.
 */
import { randomUUID } from 'node:crypto';
import { diff, remember, type AppliedChange } from '../domain/applied.js';
import { changedFields, permissionState, technicalUserState, tokenExpiringAt, type PermissionState, type TechnicalUserState } from '../domain/mirror.js';
import { isPermissionStatus, isRole, type Permission } from '../domain/permission.js';
import { expiryDate, type TechnicalUser } from '../domain/technical-user.js';
import { emailKey } from '../domain/user.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Log, Store } from '../app/ports.js';
import { DuplicateKeyError } from '../store/errors.js';
import { driftId, isDriftId, type Drift } from './drift.js';
import { expiryInstant, labels, type LeanixReader, type MtmPermission, type MtmTechnicalUser } from './reader.js';
import type { SyncState } from './sync-state.js';
import { MirrorUsers } from './mirror-users.js';
import type { GrantEndedOutside } from './grant-outside.js';

export interface SyncTarget {
  workspace: Workspace;
  reader: LeanixReader;
  syncSeconds: number;
}

/** Told of each finished sync, by workspace name (the metrics' label). */
export interface SyncObserver {
  synced(workspace: string, at: Date): void;
}

/** What one sync did, for the log, the tests and the bench. */
export interface SyncReport {
  workspaceId: string;
  permissions: number;
  technicalUsers: number;
  /** Records written (inserted, updated, deleted); 0 when nothing had changed. */
  written: number;
  drift: number;
  /** Records changed by Keywarden after LeanIX was read, or by another writer meanwhile: the next sync looks again. */
  skipped: number;
  /** Values the mirror cannot hold (a role or status Keywarden does not know): left as they were, logged. */
  unknown: number;
  /** The first sync of the workspace: taken in without drift. */
  first: boolean;
}

const mirroredId = (workspaceId: string) => `leanix.mirrored:${workspaceId}`;
const DAY_MS = 86_400_000;

export class LeanixSync {
  private readonly users: MirrorUsers;

  constructor(
    private readonly deps: {
      store: Store; clock: Clock; log: Log; state: SyncState; drift: Drift; observer?: SyncObserver;
      /** Ends a grant whose subject was changed outside Keywarden (app/grants.ts); absent: grants are left to their end. */
      grants?: GrantEndedOutside;
    },
  ) {
    this.users = new MirrorUsers(deps.store);
  }

  /** Syncs every connection whose turn it is (once per syncSeconds across all workers); returns how many. */
  async runDue(connections: SyncTarget[]): Promise<number> {
    let n = 0;
    for (const c of connections) {
      if (!(await this.deps.state.claimSync(c.workspace.id, this.deps.clock.now(), c.syncSeconds * 1000))) continue;
      try {
        const report = await this.sync(c);
        n++;
        if (report.written > 0 || report.unknown > 0) this.deps.log.info({ ...report }, 'leanix mirror synced');
        await this.deps.drift.digest(c.workspace);
      } catch (err) {
        // The claim stands: the next try is one syncSeconds later, not a retry loop against a failing LeanIX.
        this.deps.log.error({ err, workspaceId: c.workspace.id }, 'could not sync the LeanIX mirror; the next sync tries again');
      }
    }
    return n;
  }

  /** One full sync of one workspace. */
  async sync(c: SyncTarget): Promise<SyncReport> {
    const { store, clock, state } = this.deps;
    const ws = c.workspace;
    const first = !(await store.history.findById(mirroredId(ws.id)));
    const r: SyncReport = { workspaceId: ws.id, permissions: 0, technicalUsers: 0, written: 0, drift: 0, skipped: 0, unknown: 0, first };
    for await (const page of timed(c.reader.permissions(), clock)) {
      const ids = await this.users.resolve(page.items.map((p) => p.user), r);
      await Promise.all(page.items.map((p) => this.permission(ws, p, ids.get(p.user.id), page.readAt, r)));
      r.permissions += page.items.length;
    }
    const seen = new Set<string>();
    const started = clock.now();
    for await (const page of timed(c.reader.technicalUsers(), clock)) {
      await Promise.all(page.items.map(async (t) => seen.add(await this.technicalUser(ws, t, page.readAt, r))));
      r.technicalUsers += page.items.length;
    }
    await this.deleted(ws, seen, started, r);
    if (first) {
      await store.history.append({
        id: mirroredId(ws.id), workspaceId: ws.id, subject: { type: 'permission', id: ws.id, label: ws.name }, action: 'leanix.mirrored',
        actor: { type: 'leanix' }, requestId: null, approvers: [], before: null,
        after: { permissions: r.permissions, technicalUsers: r.technicalUsers }, at: clock.now(),
      });
    }
    const at = clock.now();
    await state.synced(ws.id, at);
    this.deps.observer?.synced(ws.name, at);
    return r;
  }

  private async permission(ws: Workspace, p: MtmPermission, userId: string | undefined, readAt: Date, r: SyncReport): Promise<void> {
    if (!userId || !isRole(p.role) || !isPermissionStatus(p.status)) {
      r.unknown++;
      return;
    }
    const next: PermissionState = { role: p.role, status: p.status, customerRoles: labels(p.customerRoles), accessControlEntities: labels(p.accessControlEntities) };
    const lastLogin = toDate(p.lastLogin);
    const label = p.user.email;
    const m = await this.deps.store.permissions.find(ws.id, userId);
    if (!m) {
      const change = r.first ? null : this.change(p.id, 0, null, next);
      const record: Permission = { id: p.id, userId, workspaceId: ws.id, ...next, lastLogin, version: 0, lastChange: null, applied: change ? [change] : [] };
      const inserted = await this.deps.store.permissions.insert(record).catch((err: unknown) => {
        // LeanIX's id is taken by another record of ours (a seed's): the mirror gets one of its own.
        if (err instanceof DuplicateKeyError) return this.deps.store.permissions.insert({ ...record, id: randomUUID() });
        throw err;
      });
      if (inserted) r.written++;
      if (inserted && change) await this.told(ws, { type: 'permission', id: record.id, label }, change, r);
      return;
    }
    const was = permissionState(m);
    if (changedFields(was, next).length === 0) {
      if (sameTime(m.lastLogin, lastLogin)) return this.finishTold(ws, { type: 'permission', id: m.id, label }, m.applied, r);
      if (await this.deps.store.permissions.update(m.id, m.version, { lastLogin })) r.written++;
      return;
    }
    if (changedSince(m.applied, readAt) || endDue(m.grant, this.deps.clock) || (!r.first && (await this.applying(ws, 'permission', label)))) {
      r.skipped++;
      return;
    }
    const change = r.first ? null : this.change(m.id, m.version, was, next);
    // A grant whose role was changed outside ends here, in this same write, without going back.
    const ending = change && m.grant && was.role !== next.role ? this.deps.grants?.endEntry(m.grant, was.role, next.role, change.at) : null;
    const fields = { ...next, lastLogin, applied: withChanges(m.applied, change, ending), ...(ending && { grant: null }) };
    const updated = await this.deps.store.permissions.update(m.id, m.version, fields);
    if (!updated) {
      r.skipped++;
      return;
    }
    r.written++;
    if (change) await this.told(ws, { type: 'permission', id: m.id, label }, change, r);
    if (ending && m.grant) await this.deps.grants!.finish({ type: 'permission', id: m.id }, m.grant.requestId);
  }

  /** Returns the mirror's id of the technical user. */
  private async technicalUser(ws: Workspace, t: MtmTechnicalUser, readAt: Date, r: SyncReport): Promise<string> {
    const { store, clock } = this.deps;
    if (!isRole(t.permissionRole)) {
      r.unknown++;
      return (await store.technicalUsers.findById(t.id))?.id ?? t.id;
    }
    const expiresAt = expiryInstant(t.apiTokenData?.expiry);
    const warningDays = ws.policy.expiryWarningDays;
    const next: TechnicalUserState = {
      role: t.permissionRole, description: t.apiTokenData?.description ?? '',
      customerRoles: labels(t.customerRoles), accessControlEntities: labels(t.accessControlEntities), expires: expiresAt ? expiryDate(expiresAt) : null,
    };
    const subject = { type: 'technicalUser' as const, id: t.id, label: t.userName };
    const m = (await store.technicalUsers.findById(t.id)) ?? (await store.technicalUsers.findByName(ws.id, t.userName));
    if (!m) {
      const change = r.first ? null : this.change(t.id, 0, null, next);
      const { expires: _, ...fields } = next;
      const record: TechnicalUser = {
        id: t.id, workspaceId: ws.id, userName: t.userName, ...fields,
        // The token lives in LeanIX; Keywarden holds none for a technical user it did not make, only its expiry.
        token: expiresAt ? tokenExpiringAt(null, expiresAt, warningDays, clock.now()) : null,
        createdAt: clock.now(), version: 0, lastRequestId: null, applied: change ? [change] : [],
      };
      if (await store.technicalUsers.insert(record)) {
        r.written++;
        if (change) await this.told(ws, subject, change, r);
      }
      return t.id;
    }
    const mirrored = technicalUserState(m);
    // An expiry the mirror never knew (a record from before it kept one) is taken in, not drift;
    // one LeanIX does not show (its OpenAPI requires it) leaves the mirror's as it is.
    const was = { ...mirrored, expires: mirrored.expires ?? next.expires };
    if (next.expires === null) next.expires = was.expires;
    const ref = { ...subject, id: m.id };
    const drifted = changedFields(was, next).length > 0;
    if (!drifted && mirrored.expires === next.expires) {
      await this.finishTold(ws, ref, m.applied, r);
      return m.id;
    }
    if (changedSince(m.applied, readAt) || endDue(m.grant, this.deps.clock) || (!r.first && (await this.applying(ws, 'technicalUser', t.userName)))) {
      r.skipped++;
      return m.id;
    }
    const change = r.first || !drifted ? null : this.change(m.id, m.version, was, next);
    const ending = change && m.grant && was.role !== next.role ? this.deps.grants?.endEntry(m.grant, was.role, next.role, change.at) : null;
    const { expires: _, ...fields } = next;
    const token = expiresAt && mirrored.expires !== next.expires ? { token: tokenExpiringAt(m.token, expiresAt, warningDays, clock.now()) } : {};
    const updated = await store.technicalUsers.update(m.id, m.version, { ...fields, ...token, applied: withChanges(m.applied, change, ending), ...(ending && { grant: null }) });
    if (!updated) {
      r.skipped++;
      return m.id;
    }
    r.written++;
    if (change) await this.told(ws, ref, change, r);
    if (ending && m.grant) await this.deps.grants!.finish({ type: 'technicalUser', id: m.id }, m.grant.requestId);
    return m.id;
  }

  /** Technical users the mirror holds that LeanIX no longer lists: deleted there. */
  private async deleted(ws: Workspace, seen: Set<string>, started: Date, r: SyncReport): Promise<void> {
    for (const m of await this.deps.store.technicalUsers.list(ws.id)) {
      // One made by Keywarden while LeanIX was being read may not have been listed yet.
      if (seen.has(m.id) || m.createdAt.getTime() >= started.getTime()) continue;
      const change = this.change(m.id, m.version, technicalUserState(m), null);
      if (!r.first) await this.told(ws, { type: 'technicalUser', id: m.id, label: m.userName }, change, r);
      if (await this.deps.store.technicalUsers.delete(m.id, m.version)) r.written++;
    }
  }

  /**
   * Whether an approved request of this subject is being applied: its change may be in LeanIX
   * already and not yet in the mirror (LeanIX is written first), which is no drift. Asked only
   * when a difference is found, so a sync that finds none reads no requests.
   */
  private async applying(ws: Workspace, type: 'permission' | 'technicalUser', label: string): Promise<boolean> {
    const inFlight = await this.deps.store.requests.listByWorkspace(ws.id, { status: 'APPROVED', limit: 500 });
    const key = emailKey(label);
    return inFlight.some((q) => type === 'permission'
      ? q.kind.startsWith('permission.') && 'email' in q.params && emailKey(q.params.email) === key
      : q.kind.startsWith('techuser.') && 'userName' in q.params && q.params.userName === label);
  }

  private change(subjectId: string, version: number, before: object | null, after: object | null): AppliedChange {
    const d = diff(before as Record<string, unknown> | null, after as Record<string, unknown> | null);
    return { id: driftId(subjectId, version), at: this.deps.clock.now(), before: d.before, after: d.after };
  }

  private async told(ws: Workspace, subject: { type: 'permission' | 'technicalUser'; id: string; label: string }, change: AppliedChange, r: SyncReport) {
    if (await this.deps.drift.found(ws, subject, change)) r.drift++;
  }

  /**
   * A drift written to the mirror within the last day whose history line is missing: the process
   * that found it stopped before recording it. Recorded now (one read per such record, none for the rest).
   */
  private async finishTold(ws: Workspace, subject: { type: 'permission' | 'technicalUser'; id: string; label: string }, applied: AppliedChange[] | undefined, r: SyncReport) {
    // The drift is the last change, or the one before a grant's end made in the same write.
    const drift = (applied ?? []).slice(-2).reverse().find((a) => isDriftId(a.id));
    if (drift && drift.at.getTime() > this.deps.clock.now().getTime() - DAY_MS) await this.told(ws, subject, drift, r);
  }
}

/** A change Keywarden made after LeanIX was read: what LeanIX showed is older than the mirror. */
const changedSince = (applied: AppliedChange[] | undefined, readAt: Date) => (applied ?? []).some((a) => !isDriftId(a.id) && a.at.getTime() >= readAt.getTime());

/**
 * A grant whose end is due is being ended (its timer, the grant sweep): the end reverts in LeanIX
 * first and reads LeanIX itself, telling a change made outside from its own revert (app/grants.ts).
 * Its role in LeanIX may already be back while the mirror still shows the grant, which is no drift.
 */
const endDue = (grant: { until: Date } | null | undefined, clock: Clock) => Boolean(grant && grant.until.getTime() <= clock.now().getTime());

/** The mirror's memory of changes with the drift, and a grant's end made with it, added. */
const withChanges = (applied: AppliedChange[] | undefined, ...changes: Array<AppliedChange | null | undefined>) =>
  changes.reduce<AppliedChange[]>((a, c) => (c ? remember(a, c) : a), applied ?? []);

const toDate = (s: string | null | undefined): Date | null => {
  const d = s ? new Date(s) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
};
const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** Each page with the moment it was asked for (before the call), to tell stale reads from drift. */
async function* timed<T>(pages: AsyncIterable<T[]>, clock: Clock): AsyncGenerator<{ items: T[]; readAt: Date }> {
  const it = pages[Symbol.asyncIterator]();
  for (;;) {
    const readAt = clock.now();
    const next = await it.next();
    if (next.done) return;
    yield { items: next.value, readAt };
  }
}
