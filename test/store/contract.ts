/**
 * The Store contract: what every adapter (memory, MongoDB) must do, as one suite that runs
 * against each. `open` returns a fresh, empty store for every test; `close()` disposes of it
 * (for MongoDB the caller's `close` also drops the test database).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestFields, SigningKeyRecord, SlackInstallation, Store, TokenReveal } from '../../src/app/ports.js';
import type { HistoryEntry } from '../../src/domain/history.js';
import type { OwnershipRecord } from '../../src/domain/ownership-review.js';
import type { Permission } from '../../src/domain/permission.js';
import type { ChangeRequest } from '../../src/domain/request.js';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import type { User } from '../../src/domain/user.js';
import type { Workspace } from '../../src/domain/workspace.js';
import { DEFAULT_POLICY } from '../../src/domain/workspace.js';
import { DuplicateKeyError } from '../../src/store/errors.js';
import { ChainVerifier, type ChainedEntry } from '../../src/domain/history-chain.js';

// ---------------------------------------------------------------------------------------------
// Records

const id = () => randomUUID();
/**
 * Far in the future on purpose: a real server's TTL monitor deletes token reveals whose expiresAt
 * has passed (within about a minute of their insert), which would remove fixtures between a put
 * and its findById. Dates the store compares are always given explicitly, never read from a clock.
 */
export const T0 = new Date('2100-01-01T00:00:00.000Z');
/** A stored history line without the chain link the store added: the entry as it was appended. */
export const unchained = (e: HistoryEntry | undefined): HistoryEntry | undefined => {
  if (!e) return e;
  const { seq: _s, prevHash: _p, hash: _h, ...entry } = e;
  return entry;
};

export const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** A fresh, initialised store for every test of the suite it is called in, closed afterwards. */
export function useFreshStore(open: () => Promise<Store>, set: (s: Store) => void): void {
  let current: Store;
  beforeEach(async () => {
    current = await open();
    await current.init();
    set(current);
  });
  afterEach(async () => {
    await current.close();
  });
}

export const workspace = (o: Partial<Workspace> = {}): Workspace => ({
  id: id(),
  name: `ws-${id().slice(0, 8)}`,
  slack: { teamId: 'T1', approvalsChannel: 'C-approvals', notificationChannels: ['C-notify'] },
  admins: ['U-admin'],
  approvers: ['U-approver'],
  policy: { ...DEFAULT_POLICY, expiryWarningDays: [...DEFAULT_POLICY.expiryWarningDays] },
  ...o,
});

export const user = (o: Partial<User> = {}): User => ({
  id: id(),
  email: `${id().slice(0, 8)}@example.com`,
  userName: 'jdoe',
  firstName: 'John',
  lastName: 'Doe',
  ...o,
});

export const permission = (o: Partial<Permission> = {}): Permission => ({
  id: id(),
  userId: id(),
  workspaceId: 'ws-1',
  role: 'VIEWER',
  status: 'ACTIVE',
  customerRoles: ['cr-1'],
  accessControlEntities: [],
  lastLogin: at(-60),
  version: 1,
  lastChange: null,
  ...o,
});

export const request = (o: Partial<ChangeRequest> = {}): ChangeRequest =>
  ({
    id: id(),
    workspaceId: 'ws-1',
    kind: 'permission.role',
    params: { email: 'john.doe@x.de', role: 'ADMIN' },
    requester: 'U-admin',
    reason: 'needs it',
    status: 'PENDING',
    approvals: [],
    decidedBy: null,
    decidedAt: null,
    createdAt: T0,
    expiresAt: at(72 * 60),
    slack: null,
    outcome: null,
    appliedAt: null,
    notifiedAt: null,
    version: 1,
    ...o,
  }) as ChangeRequest;

export const historyEntry = (o: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id: id(),
  workspaceId: 'ws-1',
  subject: { type: 'technicalUser', id: 'tu-1', label: 'ci-bot' },
  action: 'created',
  actor: { type: 'slack', id: 'U-admin' },
  requestId: null,
  approvers: ['U-approver'],
  before: null,
  after: { role: 'VIEWER' },
  at: T0,
  ...o,
});

export const technicalUser = (o: Partial<TechnicalUser> = {}): TechnicalUser => ({
  id: id(),
  workspaceId: 'ws-1',
  userName: `bot-${id().slice(0, 8)}`,
  description: 'CI',
  role: 'MEMBER',
  customerRoles: [],
  accessControlEntities: ['ace-1'],
  token: {
    hash: id().replaceAll('-', ''), lastFour: 'abcd', createdAt: T0, expiresAt: at(90 * 24 * 60),
    revealBy: null, revokedAt: null, nextWarningAt: null, lastWarnedDays: null,
  },
  createdAt: T0,
  version: 1,
  lastRequestId: null,
  ...o,
});

export const tokenReveal = (o: Partial<TokenReveal> = {}): TokenReveal => ({
  id: id(),
  workspaceId: 'ws-1',
  technicalUserId: 'tu-1',
  recipient: 'U-owner',
  sealed: 'eyJhbGciOi.sealed',
  expiresAt: at(24 * 60),
  claimedAt: null,
  ...o,
});

export const signingKey = (o: Partial<SigningKeyRecord> = {}): SigningKeyRecord => ({
  id: `kid-${id()}`,
  generation: 1,
  alg: 'ES256',
  sealed: 'eyJhbGciOiJkaXIi.sealed-key',
  createdAt: T0,
  retiresAt: null,
  ...o,
});

/** What reaches a store from a body nobody validated: an operator instead of an id. */
const injected = { $gt: '' } as unknown as string;

/** A domain record as adapters must return it: `id`, never `_id`. */
function expectRecord(r: { id: string } | null | undefined): void {
  expect(r).toBeTruthy();
  expect(typeof r?.id).toBe('string');
  expect(Object.keys(r ?? {})).not.toContain('_id');
}

const sortById = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));

// ---------------------------------------------------------------------------------------------

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(name, () => {
    let store: Store;
    useFreshStore(open, (s) => {
      store = s;
    });

    describe('store', () => {
      it('pings, and init is safe to run again', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.init();
        expect(['memory', 'mongodb']).toContain(store.kind);
      });
    });

    describe('workspaces', () => {
      it('upserts and finds by id and by name; unknown ones are null', async () => {
        const ws = workspace();
        await store.workspaces.upsert(ws);
        const byId = await store.workspaces.findById(ws.id);
        expectRecord(byId);
        expect(byId).toEqual(ws);
        expect(await store.workspaces.findByName(ws.name)).toEqual(ws);
        expect(await store.workspaces.findById(id())).toBeNull();
        expect(await store.workspaces.findByName('nope')).toBeNull();
      });

      it('replaces by id, including a rename', async () => {
        const ws = workspace({ name: 'old' });
        await store.workspaces.upsert(ws);
        await store.workspaces.upsert({ ...ws, name: 'new', admins: ['U2'] });
        expect(await store.workspaces.findByName('old')).toBeNull();
        expect(await store.workspaces.findById(ws.id)).toEqual({ ...ws, name: 'new', admins: ['U2'] });
        await store.workspaces.upsert({ ...ws, name: 'new', admins: ['U2'] });
        expect(await store.workspaces.list()).toHaveLength(1);
      });

      it('refuses a name another workspace has, changing nothing', async () => {
        const a = workspace({ name: 'acme' });
        const b = workspace({ name: 'other' });
        await store.workspaces.upsert(a);
        await store.workspaces.upsert(b);
        await expect(store.workspaces.upsert(workspace({ name: 'acme' }))).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(store.workspaces.upsert({ ...b, name: 'acme' })).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await store.workspaces.findById(b.id)).toEqual(b);
        expect((await store.workspaces.list()).map((w) => w.name)).toEqual(['acme', 'other']);
      });

      it('lists all, by name', async () => {
        for (const n of ['charlie', 'alpha', 'bravo']) await store.workspaces.upsert(workspace({ name: n }));
        expect((await store.workspaces.list()).map((w) => w.name)).toEqual(['alpha', 'bravo', 'charlie']);
      });

      it('retires a workspace once: lookups no longer see it, its record stays, and an upsert brings it back', async () => {
        const ws = workspace({ name: 'gone' });
        const kept = workspace({ name: 'kept' });
        await store.workspaces.upsert(ws);
        await store.workspaces.upsert(kept);
        const at = new Date('2030-01-01T00:00:00.000Z');
        expect(await store.workspaces.retire(ws.id, at)).toEqual({ ...ws, retiredAt: at });
        // Once: a second retire (another process starting at the same time) gets null and changes nothing.
        expect(await store.workspaces.retire(ws.id, new Date('2031-01-01T00:00:00.000Z'))).toBeNull();
        expect(await store.workspaces.retire(id(), at)).toBeNull();
        expect(await store.workspaces.findById(ws.id)).toBeNull();
        expect(await store.workspaces.findByName('gone')).toBeNull();
        expect((await store.workspaces.list()).map((w) => w.name)).toEqual(['kept']);
        expect(await store.workspaces.findRecord(ws.id)).toEqual({ ...ws, retiredAt: at });
        expect(await store.workspaces.listRetired()).toEqual([{ ...ws, retiredAt: at }]);
        // Its name stays taken while it is retired.
        await expect(store.workspaces.upsert(workspace({ name: 'gone' }))).rejects.toBeInstanceOf(DuplicateKeyError);

        await store.workspaces.upsert(ws);
        expect(await store.workspaces.findById(ws.id)).toEqual(ws);
        expect(await store.workspaces.listRetired()).toEqual([]);
      });
    });

    describe('users', () => {
      it('ensure inserts once per email, case-insensitively, and returns the stored user', async () => {
        const john = user({ email: 'john.doe@x.de' });
        expect(await store.users.ensure(john)).toEqual(john);
        const again = user({ email: 'JOHN.doe@x.de', firstName: 'Johnny' });
        const stored = await store.users.ensure(again);
        expectRecord(stored);
        expect(stored).toEqual(john);
        expect(await store.users.findByIds([again.id])).toEqual([]);
        expect(await store.users.findByEmail('John.Doe@X.DE')).toEqual(john);
        expect(await store.users.findByEmail('jane@x.de')).toBeNull();
      });

      it('concurrent ensures of one email leave one user', async () => {
        const emails = Array.from({ length: 10 }, (_, i) => (i % 2 ? 'Race@X.de' : 'race@x.DE'));
        const results = await Promise.all(emails.map((email) => store.users.ensure(user({ email }))));
        expect(new Set(results.map((u) => u.id)).size).toBe(1);
        expect(await store.users.findByEmail('race@x.de')).toEqual(results[0]);
      });

      it('refuses an id that belongs to a user with another email', async () => {
        const a = await store.users.ensure(user({ email: 'a@x.de' }));
        await expect(store.users.ensure(user({ id: a.id, email: 'b@x.de' }))).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await store.users.findByEmail('b@x.de')).toBeNull();
      });

      it('findByIds returns the users found, in the order asked', async () => {
        const [a, b, c] = [user(), user(), user()];
        for (const u of [a, b, c]) await store.users.ensure(u);
        expect(await store.users.findByIds([c.id, id(), a.id])).toEqual([c, a]);
        expect(await store.users.findByIds([])).toEqual([]);
      });
    });

    describe('permissions', () => {
      it('inserts one per (userId, workspaceId); a second is refused with false', async () => {
        const p = permission();
        expect(await store.permissions.insert(p)).toBe(true);
        const found = await store.permissions.findById(p.id);
        expectRecord(found);
        expect(found).toEqual(p);
        expect(found?.lastLogin).toBeInstanceOf(Date);
        expect(await store.permissions.find(p.workspaceId, p.userId)).toEqual(p);

        const other = permission({ userId: p.userId, workspaceId: p.workspaceId, role: 'ADMIN' });
        expect(await store.permissions.insert(other)).toBe(false);
        expect(await store.permissions.findById(other.id)).toBeNull();
        expect(await store.permissions.find(p.workspaceId, p.userId)).toEqual(p);
        // A retried insert of the very same permission is "already there", not an error.
        expect(await store.permissions.insert(p)).toBe(false);
        // The same user in another workspace is another permission.
        expect(await store.permissions.insert(permission({ userId: p.userId, workspaceId: 'ws-2' }))).toBe(true);
      });

      it('refuses an id already used by another pair', async () => {
        const p = permission();
        await store.permissions.insert(p);
        await expect(store.permissions.insert(permission({ id: p.id }))).rejects.toBeInstanceOf(DuplicateKeyError);
      });

      it('update is compare-and-set on the version', async () => {
        const p = permission({ version: 3 });
        await store.permissions.insert(p);
        const lastChange = { id: 'req-1', before: { role: p.role, status: p.status } };
        const applied = [{ id: 'req-1', at: at(1), before: { role: p.role, status: p.status }, after: { role: 'ADMIN', status: p.status } }];
        const updated = await store.permissions.update(p.id, 3, { role: 'ADMIN', lastChange, applied });
        expectRecord(updated);
        expect(updated).toEqual({ ...p, role: 'ADMIN', lastChange, applied, version: 4 });
        expect(updated?.applied?.[0]?.at).toBeInstanceOf(Date);
        expect(await store.permissions.findById(p.id)).toEqual(updated);

        expect(await store.permissions.update(p.id, 3, { status: 'ARCHIVED' })).toBeNull();
        expect(await store.permissions.update(id(), 1, { status: 'ARCHIVED' })).toBeNull();
        expect(await store.permissions.findById(p.id)).toEqual(updated);
      });

      it('update treats a field given as undefined as not given', async () => {
        const p = permission();
        await store.permissions.insert(p);
        const updated = await store.permissions.update(p.id, 1, { role: 'MEMBER', status: undefined });
        expect(updated).toEqual({ ...p, role: 'MEMBER', version: 2 });
        expect(await store.permissions.update(p.id, 2, {})).toEqual({ ...p, role: 'MEMBER', version: 3 });
      });

      it('of 20 concurrent updates from one version, exactly one wins', async () => {
        const p = permission();
        await store.permissions.insert(p);
        const roles = ['VIEWER', 'MEMBER', 'ADMIN'] as const;
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.permissions.update(p.id, 1, { role: roles[i % 3], lastChange: { id: `r${i}`, before: { role: p.role, status: p.status } } }),
          ),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await store.permissions.findById(p.id)).toEqual(winners[0]);
        expect(winners[0]?.version).toBe(2);
      });

      it('grant queries: due ones earliest first, a workspace\'s soonest first, the count; they follow updates', async () => {
        const grant = (m: number) => ({ requestId: id(), requester: 'U1', role: 'ADMIN' as const, revertTo: 'MEMBER' as const, grantedAt: at(0), until: at(m) });
        const [a, b, c] = [permission({ grant: grant(3) }), permission({ grant: grant(1) }), permission({ workspaceId: id(), grant: grant(2) })];
        const none = permission({ grant: null });
        for (const p of [a!, b!, c!, none]) await store.permissions.insert(p);
        expect((await store.permissions.listGrantsDue(at(2), 10)).map((p) => p.id)).toEqual([b!.id, c!.id]);
        expect((await store.permissions.listGrantsDue(at(9), 1)).map((p) => p.id)).toEqual([b!.id]);
        expect((await store.permissions.listGrants(a!.workspaceId, 10)).map((p) => p.id)).toEqual([b!.id, a!.id]);
        expect(await store.permissions.countGrants()).toBe(3);
        const ended = await store.permissions.update(b!.id, b!.version, { role: 'MEMBER', grant: null });
        expect(ended?.grant).toBeNull();
        expect((await store.permissions.listGrantsDue(at(9), 10)).map((p) => p.id)).toEqual([c!.id, a!.id]);
        expect(await store.permissions.countGrants()).toBe(2);
        const found = (await store.permissions.listGrants(a!.workspaceId, 10))[0]!;
        expect(found.grant?.until).toBeInstanceOf(Date);
        expect(await store.permissions.listGrants(injected, 10)).toEqual([]);
      });

      it('lists a workspace, optionally by status or user', async () => {
        const a = permission({ status: 'ACTIVE' });
        const b = permission({ status: 'INVITED' });
        const c = permission({ status: 'ACTIVE' });
        const elsewhere = permission({ workspaceId: 'ws-2' });
        for (const p of [a, b, c, elsewhere]) await store.permissions.insert(p);
        expect(sortById(await store.permissions.list('ws-1'))).toEqual(sortById([a, b, c]));
        expect(sortById(await store.permissions.list('ws-1', { status: 'ACTIVE' }))).toEqual(sortById([a, c]));
        expect(await store.permissions.list('ws-1', { userId: b.userId })).toEqual([b]);
        expect(await store.permissions.list('ws-1', { userId: b.userId, status: 'ACTIVE' })).toEqual([]);
        expect(await store.permissions.list('ws-3')).toEqual([]);
      });
    });

    describe('requests', () => {
      it('inserts and finds, with Dates as Dates; a second insert of an id is refused', async () => {
        const r = request({ approvals: [{ by: 'U-approver', at: at(1) }] });
        await store.requests.insert(r);
        const found = await store.requests.findById(r.id);
        expectRecord(found);
        expect(found).toEqual(r);
        expect(found?.createdAt).toBeInstanceOf(Date);
        expect(found?.approvals[0]?.at).toBeInstanceOf(Date);
        await expect(store.requests.insert(r)).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await store.requests.findById(id())).toBeNull();
      });

      it('update is compare-and-set on status and version', async () => {
        const r = request();
        await store.requests.insert(r);
        const decision: RequestFields = {
          status: 'APPROVED', approvals: [{ by: 'U-ap', at: at(5) }], decidedBy: 'U-ap', decidedAt: at(5),
        };
        expect(await store.requests.update(r.id, { status: 'APPROVED', version: 1 }, decision)).toBeNull();
        expect(await store.requests.update(r.id, { status: 'PENDING', version: 2 }, decision)).toBeNull();
        expect(await store.requests.findById(r.id)).toEqual(r);

        const approved = await store.requests.update(r.id, { status: 'PENDING', version: 1 }, decision);
        expect(approved).toEqual({ ...r, ...decision, version: 2 });
        expect(approved?.decidedAt).toBeInstanceOf(Date);
        expect(await store.requests.update(r.id, { status: 'PENDING', version: 1 }, { status: 'REJECTED' })).toBeNull();

        const applied = await store.requests.update(
          r.id,
          { status: 'APPROVED', version: 2 },
          { status: 'APPLIED', outcome: 'role is ADMIN', appliedAt: at(6) },
        );
        expect(applied).toMatchObject({ status: 'APPLIED', outcome: 'role is ADMIN', appliedAt: at(6), version: 3 });
        expect(await store.requests.findById(r.id)).toEqual(applied);
      });

      it('of 20 concurrent decisions, exactly one wins', async () => {
        const r = request();
        await store.requests.insert(r);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.requests.update(
              r.id,
              { status: 'PENDING', version: 1 },
              { status: i % 2 ? 'APPROVED' : 'REJECTED', decidedBy: `U${i}`, decidedAt: at(i) },
            ),
          ),
        );
        const winners = results.filter((x) => x !== null);
        expect(winners).toHaveLength(1);
        expect(await store.requests.findById(r.id)).toEqual(winners[0]);
      });

      it('setSlackRef and the notified claim change no version; unknown ids are ignored', async () => {
        const r = request();
        await store.requests.insert(r);
        await store.requests.setSlackRef(r.id, { channel: 'C1', ts: '123.456' });
        expect(await store.requests.claimNotified(r.id, at(9))).toBe(true);
        const found = await store.requests.findById(r.id);
        expect(found).toEqual({ ...r, slack: { channel: 'C1', ts: '123.456' }, notifiedAt: at(9) });
        expect(found?.notifiedAt).toBeInstanceOf(Date);
        await store.requests.setSlackRef(id(), { channel: 'C1', ts: '1' });
        expect(await store.requests.claimNotified(id(), at(9))).toBe(false);
        await store.requests.releaseNotified(id());
        expect(await store.requests.update(r.id, { status: 'PENDING', version: 1 }, { status: 'CANCELLED' })).not.toBeNull();
      });

      it('claimNotified is true for exactly one caller until released', async () => {
        const r = request();
        await store.requests.insert(r);
        const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => store.requests.claimNotified(r.id, at(i))));
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await store.requests.claimNotified(r.id, at(30))).toBe(false);
        await store.requests.releaseNotified(r.id);
        expect((await store.requests.findById(r.id))?.notifiedAt).toBeNull();
        expect(await store.requests.claimNotified(r.id, at(31))).toBe(true);
        expect(await store.requests.findById(r.id)).toEqual({ ...r, notifiedAt: at(31) });
      });

      it('claimNotice is true for exactly one caller per key until released; it changes no version', async () => {
        const r = request();
        await store.requests.insert(r);
        const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => store.requests.claimNotice(r.id, 'grantEnded', at(i))));
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await store.requests.claimNotice(r.id, 'other', at(30))).toBe(true);
        expect(await store.requests.claimNotice(r.id, 'grantEnded', at(30))).toBe(false);
        await store.requests.releaseNotice(r.id, 'grantEnded');
        expect(await store.requests.claimNotice(r.id, 'grantEnded', at(31))).toBe(true);
        const stored = await store.requests.findById(r.id);
        expect(stored?.notices).toEqual({ grantEnded: at(31), other: at(30) });
        expect(stored?.version).toBe(r.version);
        expect(await store.requests.claimNotice(id(), 'grantEnded', at(1))).toBe(false);
      });

      it('noteUndelivered keeps the latest notes, changes no version and ignores unknown ids', async () => {
        const r = request();
        await store.requests.insert(r);
        const note = (i: number) => ({ message: 'requester-dm' as const, status: 'APPLIED' as const, error: `fail ${i}`, at: at(i) });
        await store.requests.noteUndelivered(r.id, note(0));
        expect(await store.requests.findById(r.id)).toEqual({ ...r, undelivered: [note(0)] });
        for (let i = 1; i <= 25; i++) await store.requests.noteUndelivered(r.id, note(i));
        const notes = (await store.requests.findById(r.id))!.undelivered!;
        expect(notes).toHaveLength(20);
        expect(notes[0]).toEqual(note(6));
        expect(notes.at(-1)).toEqual(note(25));
        expect(notes.at(-1)!.at).toBeInstanceOf(Date);
        await store.requests.noteUndelivered(id(), note(1));
        expect(await store.requests.update(r.id, { status: 'PENDING', version: 1 }, { status: 'CANCELLED' })).not.toBeNull();
      });

      it('listDecided: by status, decided strictly before, oldest first, at most limit', async () => {
        const approved = (m: number) => request({ status: 'APPROVED', decidedAt: at(m), decidedBy: 'U' });
        const [r3, r1, r2, late] = [approved(3), approved(1), approved(2), approved(10)];
        for (const r of [r3, r1, r2, late, request(), request({ status: 'REJECTED', decidedAt: at(1) })]) {
          await store.requests.insert(r);
        }
        expect((await store.requests.listDecided('APPROVED', at(10), 10)).map((r) => r.id)).toEqual([r1.id, r2.id, r3.id]);
        expect((await store.requests.listDecided('APPROVED', at(10), 2)).map((r) => r.id)).toEqual([r1.id, r2.id]);
        expect(await store.requests.listDecided('APPROVED', at(10), 0)).toEqual([]);
        expect(await store.requests.listDecided('APPLIED', at(10), 10)).toEqual([]);
        expect(await store.requests.listDecided('PENDING', at(100), 10)).toEqual([]);
      });

      it('listRemindersDue: PENDING with remindAt at or before now, earliest first, at most limit', async () => {
        const due = (m: number | null) => request({ remindAt: m === null ? null : at(m) });
        const [d2, d1, d3, later, none] = [due(2), due(1), due(3), due(11), due(null)];
        const decided = request({ status: 'REJECTED', remindAt: at(1) });
        for (const r of [d2, d1, d3, later, none, decided]) await store.requests.insert(r);
        expect((await store.requests.listRemindersDue(at(3), 10)).map((r) => r.id)).toEqual([d1.id, d2.id, d3.id]);
        expect((await store.requests.listRemindersDue(at(10), 2)).map((r) => r.id)).toEqual([d1.id, d2.id]);
        expect(await store.requests.listRemindersDue(at(0), 10)).toEqual([]);
        const claimed = await store.requests.update(d1.id, { status: 'PENDING', version: d1.version }, { remindAt: null });
        expect(claimed).toMatchObject({ remindAt: null, version: d1.version + 1 });
        expect((await store.requests.listRemindersDue(at(3), 10)).map((r) => r.id)).toEqual([d2.id, d3.id]);
      });

      it('listEscalationsDue: PENDING with escalateAt at or before now, earliest first; claimed by clearing it', async () => {
        const due = (m: number | null) => request({ escalateAt: m === null ? null : at(m) });
        const [d2, d1, later, none] = [due(2), due(1), due(11), due(null)];
        const decided = request({ status: 'REJECTED', escalateAt: at(1) });
        for (const r of [d2, d1, later, none, decided, request()]) await store.requests.insert(r);
        expect((await store.requests.listEscalationsDue(at(3), 10)).map((r) => r.id)).toEqual([d1.id, d2.id]);
        expect((await store.requests.listEscalationsDue(at(3), 1)).map((r) => r.id)).toEqual([d1.id]);
        expect(await store.requests.update(d1.id, { status: 'PENDING', version: d1.version }, { escalateAt: null })).toMatchObject({ escalateAt: null });
        expect((await store.requests.listEscalationsDue(at(3), 10)).map((r) => r.id)).toEqual([d2.id]);
      });

      it('listApprovalsOwed: PENDING with approveAt at or before the bound, earliest first; gone once approved', async () => {
        const owed = (m: number | null) => request({ approveAt: m === null ? null : at(m) });
        const [o2, o1, later, none] = [owed(2), owed(1), owed(11), owed(null)];
        const approved = request({ status: 'APPROVED', approveAt: at(1) });
        for (const r of [o2, o1, later, none, approved, request()]) await store.requests.insert(r);
        expect((await store.requests.listApprovalsOwed(at(3), 10)).map((r) => r.id)).toEqual([o1.id, o2.id]);
        expect((await store.requests.listApprovalsOwed(at(3), 1)).map((r) => r.id)).toEqual([o1.id]);
        expect(await store.requests.update(o1.id, { status: 'PENDING', version: o1.version }, { status: 'APPROVED' })).toMatchObject({ status: 'APPROVED' });
        expect((await store.requests.listApprovalsOwed(at(3), 10)).map((r) => r.id)).toEqual([o2.id]);
        expect(await store.requests.listApprovalsOwed('soon' as unknown as Date, 10)).toEqual([]);
      });

      it('listBreakGlassUnreviewed: APPLIED break-glass requests with no verdict, applied earliest first', async () => {
        const open = { reviewedBy: null, reviewedAt: null, verdict: null };
        const bg = (m: number, breakGlass: ChangeRequest['breakGlass'] = open, status: ChangeRequest['status'] = 'APPLIED') =>
          request({ status, appliedAt: at(m), decidedAt: at(m), breakGlass });
        const [b2, b1, reviewed, approved, plain] = [bg(2), bg(1), bg(0, { reviewedBy: 'U1', reviewedAt: at(3), verdict: 'reviewed' }), bg(0, open, 'APPROVED'), request({ status: 'APPLIED', appliedAt: at(0) })];
        for (const r of [b2, b1, reviewed, approved, plain]) await store.requests.insert(r);
        expect((await store.requests.listBreakGlassUnreviewed(10)).map((r) => r.id)).toEqual([b1.id, b2.id]);
        const done = await store.requests.update(b1.id, { status: 'APPLIED', version: b1.version }, { breakGlass: { reviewedBy: 'U2', reviewedAt: at(5), verdict: 'reverted' } });
        expect(done).toMatchObject({ status: 'APPLIED', breakGlass: { verdict: 'reverted', reviewedBy: 'U2' } });
        expect((await store.requests.listBreakGlassUnreviewed(10)).map((r) => r.id)).toEqual([b2.id]);
        // Of the named workspaces only (the scans pass the active ones).
        const elsewhere = request({ workspaceId: 'ws-retired', status: 'APPLIED', appliedAt: at(0), decidedAt: at(0), breakGlass: open });
        await store.requests.insert(elsewhere);
        expect((await store.requests.listBreakGlassUnreviewed(10)).map((r) => r.id)).toEqual([elsewhere.id, b2.id]);
        expect((await store.requests.listBreakGlassUnreviewed(10, ['ws-1'])).map((r) => r.id)).toEqual([b2.id]);
        expect(await store.requests.listBreakGlassUnreviewed(10, [])).toEqual([]);
      });

      it('listUnposted: PENDING with no approval message, created before the given time, oldest first, at most limit', async () => {
        const unposted = (m: number) => request({ createdAt: at(m), slack: null });
        const [u2, u1, u3, recent] = [unposted(2), unposted(1), unposted(3), unposted(11)];
        const posted = request({ createdAt: at(1), slack: { channel: 'C1', ts: '1.1' } });
        const decided = request({ status: 'CANCELLED', createdAt: at(1), slack: null });
        for (const r of [u2, u1, u3, recent, posted, decided]) await store.requests.insert(r);
        expect((await store.requests.listUnposted(at(10), 10)).map((r) => r.id)).toEqual([u1.id, u2.id, u3.id]);
        expect((await store.requests.listUnposted(at(10), 2)).map((r) => r.id)).toEqual([u1.id, u2.id]);
        expect(await store.requests.listUnposted(at(1), 10)).toEqual([]);
        expect(await store.requests.listUnposted(at(10), 0)).toEqual([]);
        await store.requests.setSlackRef(u1.id, { channel: 'C1', ts: '1.2' });
        expect((await store.requests.listUnposted(at(10), 10)).map((r) => r.id)).toEqual([u2.id, u3.id]);
        expect((await store.requests.listUnposted(at(10), 1))[0]).toEqual(u2);
      });

      it('listPendingExpired: PENDING only, expired at or before now, oldest first, at most limit', async () => {
        const pending = (m: number) => request({ expiresAt: at(m) });
        const [e2, e1, e3, later] = [pending(2), pending(1), pending(3), pending(11)];
        const decided = request({ status: 'REJECTED', expiresAt: at(1) });
        for (const r of [e2, e1, e3, later, decided]) await store.requests.insert(r);
        expect((await store.requests.listPendingExpired(at(3), 10)).map((r) => r.id)).toEqual([e1.id, e2.id, e3.id]);
        expect((await store.requests.listPendingExpired(at(10), 2)).map((r) => r.id)).toEqual([e1.id, e2.id]);
        expect(await store.requests.listPendingExpired(at(0), 10)).toEqual([]);
        expect(await store.requests.listPendingExpired(at(10), 0)).toEqual([]);
      });
    });

    describe('history', () => {
      it('append is insert-if-absent by id', async () => {
        const e = historyEntry();
        await store.history.append(e);
        await store.history.append({ ...e, action: 'something else' });
        await Promise.all(Array.from({ length: 5 }, () => store.history.append(e)));
        const entries = await store.history.listBySubject('technicalUser', 'tu-1', 10);
        expect(entries.map(unchained)).toEqual([e]);
        expect(entries[0]).toMatchObject({ seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
        expectRecord(entries[0]);
        expect(entries[0]?.at).toBeInstanceOf(Date);
      });

      it('findById: the line with that id, or null', async () => {
        const e = historyEntry({ before: { role: 'MEMBER' }, after: { role: 'ADMIN' } });
        await store.history.append(e);
        const found = await store.history.findById(e.id);
        expect(unchained(found ?? undefined)).toEqual(e);
        expectRecord(found);
        expect(await store.history.findById(id())).toBeNull();
        expect(await store.history.findById({ $gt: '' } as unknown as string)).toBeNull();
      });

      it('listBySubject: that subject only, newest first, at most limit', async () => {
        const [e1, e2, e3] = [1, 2, 3].map((m) => historyEntry({ at: at(m), action: `a${m}` }));
        const otherType = historyEntry({ subject: { type: 'permission', id: 'tu-1', label: 'x' }, at: at(9) });
        const otherId = historyEntry({ subject: { type: 'technicalUser', id: 'tu-2', label: 'y' }, at: at(9) });
        for (const e of [e2, e1, e3, otherType, otherId]) await store.history.append(e!);
        const list = async (type: 'technicalUser' | 'permission', limit: number) =>
          (await store.history.listBySubject(type, 'tu-1', limit)).map(unchained);
        expect(await list('technicalUser', 10)).toEqual([e3, e2, e1]);
        expect(await list('technicalUser', 2)).toEqual([e3, e2]);
        expect(await list('technicalUser', 0)).toEqual([]);
        expect(await list('permission', 10)).toEqual([otherType]);
      });

      const verify = async (workspaceId: string) => {
        const v = new ChainVerifier(workspaceId);
        for (let after = 0; ; ) {
          const page = await store.history.listByWorkspace(workspaceId, { afterSeq: after, limit: 37 });
          if (page.length === 0) return v.result();
          page.forEach((l) => v.add(l));
          after = page.at(-1)!.seq;
        }
      };

      it('chains each workspace\'s lines: seq 1, 2, 3 ... each line carrying the hash of the one before', async () => {
        const lines = [1, 2, 3].map((m) => historyEntry({ at: at(m), action: `a${m}` }));
        const elsewhere = historyEntry({ workspaceId: 'ws-2', at: at(2) });
        for (const e of [lines[0]!, elsewhere, lines[1]!, lines[2]!]) await store.history.append(e);
        const chain = await store.history.listByWorkspace('ws-1', { afterSeq: 0, limit: 10 });
        expect(chain.map((l) => [l.seq, l.id])).toEqual(lines.map((l, i) => [i + 1, l.id]));
        expect(chain[1]!.prevHash).toBe(chain[0]!.hash);
        expect(chain[2]!.prevHash).toBe(chain[1]!.hash);
        expect((await store.history.listByWorkspace('ws-2', { afterSeq: 0, limit: 10 })).map((l) => l.seq)).toEqual([1]);
        expect(await verify('ws-1')).toMatchObject({ whole: true, lines: 3, head: { seq: 3, hash: chain[2]!.hash } });
      });

      it('200 concurrent appends (and their retries) make one unforked chain, each line once', async () => {
        const entries = Array.from({ length: 200 }, (_, i) => historyEntry({ at: at(i % 7), action: `a${i}` }));
        await Promise.all([...entries, ...entries.slice(0, 50)].map((e) => store.history.append(e)));
        const chain: ChainedEntry[] = [];
        for (let after = 0; ; after = chain.at(-1)!.seq) {
          const page = await store.history.listByWorkspace('ws-1', { afterSeq: after, limit: 64 });
          if (page.length === 0) break;
          chain.push(...page);
        }
        expect(chain.map((l) => l.seq)).toEqual(entries.map((_, i) => i + 1));
        expect(new Set(chain.map((l) => l.id))).toEqual(new Set(entries.map((e) => e.id)));
        expect(await verify('ws-1')).toMatchObject({ whole: true, lines: 200, problems: [] });
      });

      it('listByWorkspace pages by seq and filters by time and subject (id or label)', async () => {
        const a = historyEntry({ at: at(1) });
        const b = historyEntry({ at: at(2), subject: { type: 'permission', id: 'p-9', label: 'jane@x.de' } });
        const c = historyEntry({ at: at(3) });
        for (const e of [a, b, c]) await store.history.append(e);
        const ids = async (q: Partial<Parameters<Store['history']['listByWorkspace']>[1]>) =>
          (await store.history.listByWorkspace('ws-1', { afterSeq: 0, limit: 10, ...q })).map((l) => l.id);
        expect(await ids({ afterSeq: 1 })).toEqual([b.id, c.id]);
        expect(await ids({ limit: 1 })).toEqual([a.id]);
        expect(await ids({ since: at(2) })).toEqual([b.id, c.id]);
        expect(await ids({ until: at(2) })).toEqual([a.id]);
        expect(await ids({ subject: 'jane@x.de' })).toEqual([b.id]);
        expect(await ids({ subject: 'p-9' })).toEqual([b.id]);
        expect(await ids({ subject: injected })).toEqual([]);
        expect(await store.history.listByWorkspace(injected, { afterSeq: 0, limit: 10 })).toEqual([]);
      });
    });

    describe('ownership', () => {
      const record = (o: Partial<OwnershipRecord> = {}): OwnershipRecord => ({
        id: id(), workspaceId: 'ws-1', userName: 'ci-bot', owner: 'U-owner', ownerSource: 'creator', periodStart: T0,
        stage: 'waiting', askedAt: null, escalatedAt: null, nextAt: at(60), lastReviewedAt: null, lastReviewedBy: null, lastUsedAt: null,
        deleteRequestId: null, version: 0, ...o,
      });

      it('inserts once per technical user, and finds it', async () => {
        const r = record();
        expect(await store.ownership.insertIfAbsent(r)).toBe(true);
        expect(await store.ownership.insertIfAbsent({ ...r, owner: 'U-other' })).toBe(false);
        expect(await store.ownership.findById(r.id)).toEqual(r);
        expect(await store.ownership.findById(injected)).toBeNull();
      });

      it('update is a compare-and-set on the version: of concurrent claims exactly one wins; null is a value', async () => {
        const r = record();
        await store.ownership.insertIfAbsent(r);
        const claims = await Promise.all(Array.from({ length: 10 }, () => store.ownership.update(r.id, 0, { stage: 'asked', askedAt: at(61), nextAt: null })));
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await store.ownership.findById(r.id)).toEqual({ ...r, stage: 'asked', askedAt: at(61), nextAt: null, version: 1 });
        expect(await store.ownership.update(r.id, 0, { stage: 'waiting' })).toBeNull();
        expect(await store.ownership.update(injected, 1, { stage: 'waiting' })).toBeNull();
      });

      it('keeps the transfers made (applied) with the owner in the same compare-and-set, dates as dates', async () => {
        const r = record();
        await store.ownership.insertIfAbsent(r);
        const applied = [{ id: 'req-1', at: at(2), before: { owner: 'U-owner' }, after: { owner: 'U-bob' } }];
        const moved = await store.ownership.update(r.id, 0, { owner: 'U-bob', ownerSource: 'transfer', applied });
        expect(moved).toEqual({ ...r, owner: 'U-bob', ownerSource: 'transfer', applied, version: 1 });
        expect(await store.ownership.findById(r.id)).toEqual(moved);
        expect((await store.ownership.findById(r.id))!.applied![0]!.at).toBeInstanceOf(Date);
        // A transfer racing it on the same version loses, and its memory is not written either.
        expect(await store.ownership.update(r.id, 0, { owner: 'U-carol', applied: [{ ...applied[0]!, id: 'req-2' }] })).toBeNull();
        expect((await store.ownership.findById(r.id))!.applied!.map((a) => a.id)).toEqual(['req-1']);
      });

      it('listDue: due records only (never those with nothing due), earliest first, at most limit', async () => {
        const [a, b, c, none] = [record({ nextAt: at(3) }), record({ nextAt: at(1) }), record({ nextAt: at(9) }), record({ nextAt: null })];
        for (const r of [a, b, c, none]) await store.ownership.insertIfAbsent(r!);
        expect((await store.ownership.listDue(at(5), 10)).map((r) => r.id)).toEqual([b!.id, a!.id]);
        expect((await store.ownership.listDue(at(5), 1)).map((r) => r.id)).toEqual([b!.id]);
        expect(await store.ownership.listDue(at(5), 0)).toEqual([]);
        // Of the named workspaces only (the scans pass the active ones).
        const elsewhere = record({ nextAt: at(0), workspaceId: 'ws-retired' });
        await store.ownership.insertIfAbsent(elsewhere!);
        expect((await store.ownership.listDue(at(5), 1)).map((r) => r.id)).toEqual([elsewhere!.id]);
        expect((await store.ownership.listDue(at(5), 1, [b!.workspaceId])).map((r) => r.id)).toEqual([b!.id]);
        expect(await store.ownership.listDue(at(5), 10, [])).toEqual([]);
      });

      it('touchLastUsed sets lastUsedAt only when unset or not after the moment given, without a version bump', async () => {
        const r = record();
        await store.ownership.insertIfAbsent(r);
        await store.ownership.touchLastUsed(r.id, at(10), at(9));
        expect(await store.ownership.findById(r.id)).toMatchObject({ lastUsedAt: at(10), version: 0 });
        await store.ownership.touchLastUsed(r.id, at(10.5), at(9.5));
        expect((await store.ownership.findById(r.id))!.lastUsedAt).toEqual(at(10));
        await store.ownership.touchLastUsed(r.id, at(11), at(10));
        expect((await store.ownership.findById(r.id))!.lastUsedAt).toEqual(at(11));
        await store.ownership.touchLastUsed(injected, at(12), at(11));
        expect(await store.ownership.update(r.id, 0, { stage: 'asked' })).not.toBeNull();
      });

      it('lists a workspace\'s records, counts the unreviewed across workspaces, deletes', async () => {
        const [a, b, c] = [record({ stage: 'escalated' }), record({ stage: 'delete-requested', workspaceId: 'ws-2' }), record()];
        for (const r of [a, b, c]) await store.ownership.insertIfAbsent(r!);
        expect((await store.ownership.listByWorkspace('ws-1')).map((r) => r.id).sort()).toEqual([a!.id, c!.id].sort());
        expect(await store.ownership.countUnreviewed()).toBe(2);
        await store.ownership.delete(a!.id);
        expect(await store.ownership.findById(a!.id)).toBeNull();
        expect(await store.ownership.countUnreviewed()).toBe(1);
      });
    });

    describe('technical users', () => {
      it('inserts and finds by id, name and token hash', async () => {
        const t = technicalUser();
        expect(await store.technicalUsers.insert(t)).toBe(true);
        const found = await store.technicalUsers.findById(t.id);
        expectRecord(found);
        expect(found).toEqual(t);
        expect(found?.token?.expiresAt).toBeInstanceOf(Date);
        expect(await store.technicalUsers.findByName('ws-1', t.userName)).toEqual(t);
        expect(await store.technicalUsers.findByName('ws-2', t.userName)).toBeNull();
        expect(await store.technicalUsers.findByTokenHash(t.token!.hash!)).toEqual(t);
        expect(await store.technicalUsers.findByTokenHash('0'.repeat(64))).toBeNull();
      });

      it('userName is unique per workspace, not across workspaces', async () => {
        const t = technicalUser({ userName: 'ci-bot' });
        expect(await store.technicalUsers.insert(t)).toBe(true);
        expect(await store.technicalUsers.insert(technicalUser({ userName: 'ci-bot' }))).toBe(false);
        expect(await store.technicalUsers.insert(t)).toBe(false);
        expect(await store.technicalUsers.insert(technicalUser({ userName: 'ci-bot', workspaceId: 'ws-2' }))).toBe(true);
        expect(await store.technicalUsers.list('ws-1')).toEqual([t]);
      });

      it('any number may have no token, but a token hash belongs to one', async () => {
        const a = technicalUser({ token: null });
        const b = technicalUser({ token: null });
        expect(await store.technicalUsers.insert(a)).toBe(true);
        expect(await store.technicalUsers.insert(b)).toBe(true);
        const c = technicalUser();
        await store.technicalUsers.insert(c);
        await expect(store.technicalUsers.insert(technicalUser({ token: c.token }))).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(store.technicalUsers.update(a.id, 1, { token: c.token })).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await store.technicalUsers.findById(a.id)).toEqual(a);
      });

      it('any number may have a token held in LeanIX only (no hash), each with its expiry and warning', async () => {
        const held = (n: number) => ({ hash: null, lastFour: null, createdAt: at(1), expiresAt: at(n), revealBy: null, revokedAt: null, nextWarningAt: at(n - 1), lastWarnedDays: null });
        const a = technicalUser({ token: held(5) });
        const b = technicalUser({ token: held(6) });
        expect(await store.technicalUsers.insert(a)).toBe(true);
        expect(await store.technicalUsers.insert(b)).toBe(true);
        expect(await store.technicalUsers.update(a.id, 1, { token: held(7) })).not.toBeNull();
        expect((await store.technicalUsers.findById(b.id))!.token).toEqual(held(6));
        expect((await store.technicalUsers.listWarningsDue(at(6), 10)).map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
      });

      it('update is compare-and-set on the version; a replaced token is no longer found', async () => {
        const t = technicalUser();
        await store.technicalUsers.insert(t);
        const token = {
          hash: 'f'.repeat(64), lastFour: 'wxyz', createdAt: at(1), expiresAt: at(2), revealBy: at(3), revokedAt: null,
          nextWarningAt: null, lastWarnedDays: null,
        };
        const applied = [{ id: 'req-9', at: at(1), before: { tokenLastFour: 'abcd' }, after: { tokenLastFour: 'wxyz' } }];
        const rotated = await store.technicalUsers.update(t.id, 1, { token, lastRequestId: 'req-9', applied });
        expect(rotated).toEqual({ ...t, token, lastRequestId: 'req-9', applied, version: 2 });
        expect(rotated?.token?.revealBy).toBeInstanceOf(Date);
        expect(await store.technicalUsers.findByTokenHash(t.token!.hash!)).toBeNull();
        expect(await store.technicalUsers.findByTokenHash(token.hash)).toEqual(rotated);

        expect(await store.technicalUsers.update(t.id, 1, { role: 'ADMIN' })).toBeNull();
        expect(await store.technicalUsers.update(id(), 1, { role: 'ADMIN' })).toBeNull();
        expect(await store.technicalUsers.findById(t.id)).toEqual(rotated);

        const revoked = await store.technicalUsers.update(t.id, 2, { token: null, description: undefined });
        expect(revoked).toEqual({ ...rotated, token: null, version: 3 });
        expect(await store.technicalUsers.findByTokenHash(token.hash)).toBeNull();
      });

      it('of 20 concurrent updates from one version, exactly one wins', async () => {
        const t = technicalUser();
        await store.technicalUsers.insert(t);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.technicalUsers.update(t.id, 1, { description: `d${i}` })),
        );
        const winners = results.filter((x) => x !== null);
        expect(winners).toHaveLength(1);
        expect(await store.technicalUsers.findById(t.id)).toEqual(winners[0]);
      });

      it('delete only while the version matches', async () => {
        const t = technicalUser({ version: 4 });
        await store.technicalUsers.insert(t);
        expect(await store.technicalUsers.delete(t.id, 3)).toBe(false);
        expect(await store.technicalUsers.findById(t.id)).toEqual(t);
        expect(await store.technicalUsers.delete(t.id, 4)).toBe(true);
        expect(await store.technicalUsers.findById(t.id)).toBeNull();
        expect(await store.technicalUsers.findByTokenHash(t.token!.hash!)).toBeNull();
        expect(await store.technicalUsers.delete(t.id, 4)).toBe(false);
        // The name is free again.
        expect(await store.technicalUsers.insert(technicalUser({ userName: t.userName }))).toBe(true);
      });

      it('listRevealOverdue: unrevealed past their deadline, not revoked, oldest deadline first, at most limit', async () => {
        const withToken = (revealBy: Date | null, revokedAt: Date | null = null) => {
          const t = technicalUser();
          return { ...t, token: { ...t.token!, revealBy, revokedAt } };
        };
        const [late2, late1, late3] = [withToken(at(2)), withToken(at(1)), withToken(at(3))];
        const others = [withToken(null), withToken(at(1), at(5)), withToken(at(10)), technicalUser({ token: null })];
        for (const t of [late2, late1, late3, ...others]) await store.technicalUsers.insert(t);
        expect(await store.technicalUsers.listRevealOverdue(at(10), 10)).toEqual([late1, late2, late3]);
        expect(await store.technicalUsers.listRevealOverdue(at(10), 2)).toEqual([late1, late2]);
        expect(await store.technicalUsers.listRevealOverdue(at(10), 0)).toEqual([]);
        expect(await store.technicalUsers.listRevealOverdue(at(1), 10)).toEqual([]);
      });

      it('listWarningsDue: due at or before now, not revoked, earliest first, at most limit; follows updates', async () => {
        const due = (nextWarningAt: Date | null, revokedAt: Date | null = null) => {
          const t = technicalUser();
          return { ...t, token: { ...t.token!, nextWarningAt, revokedAt } };
        };
        const [d2, d1, d3] = [due(at(120)), due(at(60)), due(at(180))];
        const others = [due(null), due(at(60), at(1)), due(at(24 * 60)), technicalUser({ token: null })];
        for (const t of [d2, d1, d3, ...others]) await store.technicalUsers.insert(t);
        expect(await store.technicalUsers.listWarningsDue(at(180), 10)).toEqual([d1, d2, d3]);
        expect(await store.technicalUsers.listWarningsDue(at(180), 2)).toEqual([d1, d2]);
        expect(await store.technicalUsers.listWarningsDue(at(59), 10)).toEqual([]);
        expect(await store.technicalUsers.listWarningsDue(at(180), 0)).toEqual([]);
        // Moving the due date on takes a token out; deleting it too.
        await store.technicalUsers.update(d1.id, d1.version, { token: { ...d1.token!, nextWarningAt: at(10_000) } });
        await store.technicalUsers.delete(d2.id, d2.version);
        expect((await store.technicalUsers.listWarningsDue(at(180), 10)).map((t) => t.id)).toEqual([d3.id]);
        // Of the named workspaces only (the scans pass the active ones).
        const elsewhere = { ...due(at(30)), workspaceId: 'ws-retired' };
        await store.technicalUsers.insert(elsewhere);
        expect((await store.technicalUsers.listWarningsDue(at(180), 1)).map((t) => t.id)).toEqual([elsewhere.id]);
        expect((await store.technicalUsers.listWarningsDue(at(180), 1, [d3.workspaceId])).map((t) => t.id)).toEqual([d3.id]);
        expect(await store.technicalUsers.listWarningsDue(at(180), 10, [])).toEqual([]);
      });

      it('grant queries on technical users: due ones, a workspace\'s, the count; a deleted one leaves them', async () => {
        const grant = (m: number) => ({ requestId: id(), requester: 'U1', role: 'ADMIN' as const, revertTo: 'VIEWER' as const, grantedAt: at(0), until: at(m) });
        const [a, b] = [technicalUser({ grant: grant(2) }), technicalUser({ userName: 'other-bot', grant: grant(1) })];
        for (const t of [a!, b!]) await store.technicalUsers.insert(t);
        expect((await store.technicalUsers.listGrantsDue(at(5), 10)).map((t) => t.id)).toEqual([b!.id, a!.id]);
        expect((await store.technicalUsers.listGrants(a!.workspaceId, 10)).map((t) => t.id)).toEqual([b!.id, a!.id]);
        expect(await store.technicalUsers.delete(b!.id, b!.version)).toBe(true);
        expect((await store.technicalUsers.listGrantsDue(at(5), 10)).map((t) => t.id)).toEqual([a!.id]);
        expect(await store.technicalUsers.countGrants()).toBe(1);
      });

      it('lists a workspace by userName', async () => {
        for (const n of ['zeta', 'alpha', 'mike']) await store.technicalUsers.insert(technicalUser({ userName: n }));
        await store.technicalUsers.insert(technicalUser({ userName: 'bravo', workspaceId: 'ws-2' }));
        expect((await store.technicalUsers.list('ws-1')).map((t) => t.userName)).toEqual(['alpha', 'mike', 'zeta']);
      });
    });

    describe('token reveals', () => {
      const reveal = tokenReveal;

      it('put is insert-if-absent and returns the stored record', async () => {
        const r = reveal();
        const stored = await store.tokenReveals.put(r);
        expectRecord(stored);
        expect(stored).toEqual(r);
        expect(await store.tokenReveals.put({ ...r, sealed: 'another' })).toEqual(r);
        const found = await store.tokenReveals.findById(r.id);
        expect(found).toEqual(r);
        expect(found?.expiresAt).toBeInstanceOf(Date);
        expect(await store.tokenReveals.findById(id())).toBeNull();
        const raced = reveal();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.tokenReveals.put({ ...raced, sealed: `s${i}` })),
        );
        expect(new Set(results.map((x) => x.sealed)).size).toBe(1);
      });

      it('claim: only its recipient, only before expiresAt, only once until released', async () => {
        const r = reveal({ expiresAt: at(10) });
        await store.tokenReveals.put(r);
        expect(await store.tokenReveals.claim(r.id, 'U-someone-else', at(1))).toBeNull();
        expect(await store.tokenReveals.claim(r.id, 'U-owner', at(10))).toBeNull();
        expect(await store.tokenReveals.claim(id(), 'U-owner', at(1))).toBeNull();
        expect(await store.tokenReveals.findById(r.id)).toEqual(r);

        const claims = await Promise.all(Array.from({ length: 20 }, () => store.tokenReveals.claim(r.id, 'U-owner', at(1))));
        const winners = claims.filter((c) => c !== null);
        expect(winners).toEqual([{ ...r, claimedAt: at(1) }]);
        expect(winners[0]?.claimedAt).toBeInstanceOf(Date);
        expect(await store.tokenReveals.claim(r.id, 'U-owner', at(2))).toBeNull();

        await store.tokenReveals.release(r.id);
        expect(await store.tokenReveals.findById(r.id)).toEqual(r);
        expect(await store.tokenReveals.claim(r.id, 'U-owner', at(3))).toEqual({ ...r, claimedAt: at(3) });
        await store.tokenReveals.release(id());
      });

      it('delete removes it; deleting again is fine', async () => {
        const r = reveal();
        await store.tokenReveals.put(r);
        await store.tokenReveals.delete(r.id);
        expect(await store.tokenReveals.findById(r.id)).toBeNull();
        expect(await store.tokenReveals.claim(r.id, 'U-owner', at(1))).toBeNull();
        await store.tokenReveals.delete(r.id);
        expect(await store.tokenReveals.put(r)).toEqual(r);
      });
    });

    describe('slack installations', () => {
      const installation = (o: Partial<SlackInstallation> = {}): Omit<SlackInstallation, 'version'> => ({
        id: `T${id().slice(0, 8)}`, teamId: 'T1', enterpriseId: null, isEnterpriseInstall: false, appId: 'A1', botUserId: 'UBOT', botId: 'BBOT',
        scopes: ['chat:write', 'commands'], sealedBotToken: 'sealed-bot', sealedRefreshToken: 'sealed-refresh', expiresAt: at(720), installedAt: at(0), ...o,
      });

      it('put stores and replaces (a reinstall), moving the version on; findById; delete', async () => {
        const i = installation();
        const stored = await store.slackInstallations.put(i);
        expect(stored).toEqual({ ...i, version: 1 });
        expect((await store.slackInstallations.findById(i.id))?.expiresAt).toBeInstanceOf(Date);
        const again = await store.slackInstallations.put({ ...i, sealedBotToken: 'sealed-bot-2', expiresAt: null });
        expect(again).toEqual({ ...i, sealedBotToken: 'sealed-bot-2', expiresAt: null, version: 2 });
        expect(await store.slackInstallations.findById(i.id)).toEqual(again);
        expect(await store.slackInstallations.findById('T-none')).toBeNull();
        expect(await store.slackInstallations.delete(i.id)).toBe(true);
        expect(await store.slackInstallations.delete(i.id)).toBe(false);
        expect(await store.slackInstallations.findById(i.id)).toBeNull();
      });

      it('delete with installedBefore removes only an installation made before then (a late uninstall leaves a reinstall)', async () => {
        const i = await store.slackInstallations.put(installation({ installedAt: at(10) }));
        expect(await store.slackInstallations.delete(i.id, at(5))).toBe(false);
        expect(await store.slackInstallations.delete(i.id, at(10))).toBe(false);
        expect(await store.slackInstallations.findById(i.id)).not.toBeNull();
        expect(await store.slackInstallations.delete(i.id, at(11))).toBe(true);
        expect(await store.slackInstallations.findById(i.id)).toBeNull();
      });

      it('rotate is a compare-and-set on the version: of racing rotations one wins, and a stale one loses', async () => {
        const i = await store.slackInstallations.put(installation({ id: 'E1', teamId: null, enterpriseId: 'E1', isEnterpriseInstall: true }));
        const results = await Promise.all(Array.from({ length: 10 }, (_, k) =>
          store.slackInstallations.rotate(i.id, i.version, { sealedBotToken: `bot-${k}`, sealedRefreshToken: `refresh-${k}`, expiresAt: at(1440 + k) })));
        const won = results.filter((r) => r !== null);
        expect(won).toHaveLength(1);
        expect(won[0]!.version).toBe(i.version + 1);
        expect(await store.slackInstallations.findById(i.id)).toEqual(won[0]);
        expect(await store.slackInstallations.rotate(i.id, i.version, { sealedBotToken: 'late', sealedRefreshToken: null, expiresAt: null })).toBeNull();
        expect(await store.slackInstallations.rotate('E-none', 1, { sealedBotToken: 'x', sealedRefreshToken: null, expiresAt: null })).toBeNull();
        // A reinstall in between: a rotation that read the old record loses too.
        const current = (await store.slackInstallations.findById(i.id))!;
        await store.slackInstallations.put(installation({ id: 'E1', teamId: null, enterpriseId: 'E1', isEnterpriseInstall: true }));
        expect(await store.slackInstallations.rotate(i.id, current.version, { sealedBotToken: 'y', sealedRefreshToken: null, expiresAt: null })).toBeNull();
      });
    });

    describe('signing keys', () => {
      it('insertIfAbsent keeps the first key of a generation and returns the stored one', async () => {
        expect(await store.signingKeys.list()).toEqual([]);
        const first = signingKey({ generation: 1 });
        const stored = await store.signingKeys.insertIfAbsent(first);
        expectRecord(stored);
        expect(stored).toEqual(first);
        expect(stored.createdAt).toBeInstanceOf(Date);
        // Another process made its own key for generation 1 a moment later: it gets the first one.
        expect(await store.signingKeys.insertIfAbsent(signingKey({ generation: 1 }))).toEqual(first);
        expect(await store.signingKeys.insertIfAbsent(first)).toEqual(first);
        expect(await store.signingKeys.list()).toEqual([first]);
      });

      it('of 10 concurrent inserts of one generation, one is kept and every caller gets it', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.signingKeys.insertIfAbsent(signingKey({ generation: 7 }))),
        );
        expect(new Set(results.map((k) => k.id)).size).toBe(1);
        expect(await store.signingKeys.list()).toEqual([results[0]]);
      });

      it('refuses a kid already used by another generation', async () => {
        const k = await store.signingKeys.insertIfAbsent(signingKey({ generation: 1 }));
        await expect(store.signingKeys.insertIfAbsent(signingKey({ id: k.id, generation: 2 }))).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await store.signingKeys.list()).toEqual([k]);
      });

      it('lists newest generation first', async () => {
        const [g2, g1, g3] = [2, 1, 3].map((generation) => signingKey({ generation, createdAt: at(generation) }));
        for (const k of [g2, g1, g3]) await store.signingKeys.insertIfAbsent(k!);
        expect((await store.signingKeys.list()).map((k) => k.generation)).toEqual([3, 2, 1]);
      });

      it('retire sets retiresAt unless it is already as early; unknown keys are null', async () => {
        const k = await store.signingKeys.insertIfAbsent(signingKey());
        const retired = await store.signingKeys.retire(k.id, at(10));
        expect(retired).toEqual({ ...k, retiresAt: at(10) });
        expect(retired?.retiresAt).toBeInstanceOf(Date);
        // A later retirement changes nothing; an earlier one wins.
        expect(await store.signingKeys.retire(k.id, at(20))).toEqual({ ...k, retiresAt: at(10) });
        expect(await store.signingKeys.retire(k.id, at(5))).toEqual({ ...k, retiresAt: at(5) });
        expect(await store.signingKeys.list()).toEqual([{ ...k, retiresAt: at(5) }]);
        expect(await store.signingKeys.retire('kid-unknown', at(1))).toBeNull();
      });

      it('records are copies, and an operator object where a kid belongs matches nothing', async () => {
        const k = signingKey();
        const saved = structuredClone(k);
        (await store.signingKeys.insertIfAbsent(k)).createdAt.setTime(0);
        k.sealed = 'evil';
        (await store.signingKeys.list())[0]!.sealed = 'evil';
        expect(await store.signingKeys.retire(injected, at(1))).toBeNull();
        expect(await store.signingKeys.list()).toEqual([saved]);
      });
    });

    describe('records are copies', () => {
      it('mutating what went in or came out changes nothing stored', async () => {
        const ws = workspace();
        const p = permission();
        const r = request();
        const e = historyEntry();
        const t = technicalUser();
        const tr = tokenReveal();
        const saved = structuredClone({ ws, p, r, e, t, tr });
        await store.workspaces.upsert(ws);
        await store.permissions.insert(p);
        await store.requests.insert(r);
        await store.history.append(e);
        await store.technicalUsers.insert(t);
        (await store.tokenReveals.put(tr)).sealed = 'evil';
        tr.recipient = 'U-evil';
        ws.slack.notificationChannels.push('C-evil');
        p.customerRoles.push('evil');
        r.approvals.push({ by: 'U-evil', at: T0 });
        e.approvers.push('U-evil');
        t.token!.hash = 'evil';

        const ws2 = (await store.workspaces.findById(ws.id))!;
        ws2.policy.expiryWarningDays.length = 0;
        ws2.name = 'evil';
        (await store.permissions.findById(p.id))!.customerRoles.push('evil');
        (await store.permissions.update(p.id, 1, { role: 'ADMIN' }))!.customerRoles.push('evil');
        (await store.requests.findById(r.id))!.approvals.push({ by: 'U-evil', at: T0 });
        (await store.history.listBySubject('technicalUser', 'tu-1', 1))[0]!.approvers.push('U-evil');
        (await store.technicalUsers.findById(t.id))!.token!.lastFour = 'evil';
        (await store.technicalUsers.list('ws-1'))[0]!.accessControlEntities.push('evil');
        (await store.tokenReveals.findById(tr.id))!.expiresAt.setTime(0);

        expect(await store.workspaces.findById(ws.id)).toEqual(saved.ws);
        expect(await store.workspaces.findByName(saved.ws.name)).toEqual(saved.ws);
        expect(await store.permissions.findById(p.id)).toEqual({ ...saved.p, role: 'ADMIN', version: 2 });
        expect(await store.requests.findById(r.id)).toEqual(saved.r);
        expect((await store.history.listBySubject('technicalUser', 'tu-1', 1)).map(unchained)).toEqual([saved.e]);
        expect(await store.technicalUsers.findById(t.id)).toEqual(saved.t);
        expect(await store.tokenReveals.findById(tr.id)).toEqual(saved.tr);
      });
    });

    describe('hostile ids', () => {
      it('an operator object where an id belongs matches nothing and changes nothing', async () => {
        const ws = workspace();
        const u = user();
        const p = permission();
        const r = request();
        const t = technicalUser();
        await store.workspaces.upsert(ws);
        await store.users.ensure(u);
        await store.permissions.insert(p);
        await store.requests.insert(r);
        await store.technicalUsers.insert(t);

        expect(await store.workspaces.findById(injected)).toBeNull();
        expect(await store.workspaces.findByName(injected)).toBeNull();
        expect(await store.users.findByEmail(injected)).toBeNull();
        expect(await store.users.findByIds([injected])).toEqual([]);
        expect(await store.permissions.findById(injected)).toBeNull();
        expect(await store.permissions.find(injected, injected)).toBeNull();
        expect(await store.permissions.list(injected)).toEqual([]);
        expect(await store.permissions.update(injected, 1, { role: 'ADMIN' })).toBeNull();
        expect(await store.requests.findById(injected)).toBeNull();
        expect(await store.requests.update(injected, { status: 'PENDING', version: 1 }, { status: 'APPROVED' })).toBeNull();
        await store.requests.setSlackRef(injected, { channel: 'C-evil', ts: '1' });
        expect(await store.requests.claimNotified(injected, T0)).toBe(false);
        await store.requests.releaseNotified(injected);
        await store.requests.noteUndelivered(injected, { message: 'requester-dm', status: 'APPLIED', error: 'x', at: T0 });
        expect(await store.tokenReveals.findById(injected)).toBeNull();
        expect(await store.tokenReveals.claim(injected, injected, T0)).toBeNull();
        await store.tokenReveals.release(injected);
        await store.tokenReveals.delete(injected);
        expect(await store.history.listBySubject('technicalUser', injected, 10)).toEqual([]);
        expect(await store.technicalUsers.findById(injected)).toBeNull();
        expect(await store.technicalUsers.findByName(injected, injected)).toBeNull();
        expect(await store.technicalUsers.findByTokenHash(injected)).toBeNull();
        expect(await store.technicalUsers.update(injected, 1, { role: 'ADMIN' })).toBeNull();
        expect(await store.technicalUsers.delete(injected, 1)).toBe(false);
        expect(await store.technicalUsers.list(injected)).toEqual([]);

        expect(await store.permissions.findById(p.id)).toEqual(p);
        expect(await store.requests.findById(r.id)).toEqual(r);
        expect(await store.technicalUsers.findById(t.id)).toEqual(t);
      });
    });
  });
}
