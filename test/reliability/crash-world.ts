/**
 * The use cases of the approval flow wired on a store and a notifier that misbehave on cue
 * (helpers/faulty-store.ts), with one approved request per scenario: what the crash and store-fault
 * tests cut into, one call at a time.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { PermissionService } from '../../src/app/permissions.js';
import { RequestService } from '../../src/app/requests.js';
import { TechnicalUserRequests } from '../../src/app/technical-user-requests.js';
import { TechnicalUserService } from '../../src/app/technical-users.js';
import { GrantRequests } from '../../src/app/grant-requests.js';
import type { SubjectRef } from '../../src/app/grant-subjects.js';
import { GrantService } from '../../src/app/grants.js';
import type { GrantTimer } from '../../src/app/ports.js';
import { JweTokenSealer } from '../../src/crypto/jwe-sealer.js';
import { generateApiToken, hashApiToken } from '../../src/domain/api-token.js';
import type { NewRequest } from '../../src/domain/request.js';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import type { Workspace } from '../../src/domain/workspace.js';
import { createLog } from '../../src/log.js';
import { ACTIVE, ADMIN, APPROVER1, FakeClock, FakeNotifier, FakeQueue, seededStore, TEAM, WS_ID } from '../app/fixtures.js';
import { faultyStore, misbehaving, type FaultyStore } from '../helpers/faulty-store.js';
import { LogCapture } from '../helpers/keywarden.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';

export const SECRET = TEST_KEYWARDEN_SECRET;

export interface CrashWorld {
  f: FaultyStore;
  ws: Workspace;
  clock: FakeClock;
  notifier: FakeNotifier;
  queue: FakeQueue;
  logs: LogCapture;
  requests: RequestService;
  technicalUsers: TechnicalUserService;
  sealer: JweTokenSealer;
  grants: GrantService;
  timer: FakeGrantTimer;
}

/**
 * A GrantTimer that remembers what it was asked to schedule (tests fire them by hand), and passes
 * it on to `forward` (a real BullGrantTimer) when a test sets one.
 */
export class FakeGrantTimer implements GrantTimer {
  readonly scheduled: Array<{ grantId: string; subject: SubjectRef; until: Date }> = [];
  down = false;
  forward: GrantTimer | null = null;
  async schedule(g: { grantId: string; subject: SubjectRef; until: Date }, o?: { again?: boolean }) {
    if (this.down) throw new Error('Connection is closed.');
    this.scheduled.push(g);
    await this.forward?.schedule(g, o);
  }
}

export async function crashWorld(): Promise<CrashWorld> {
  const f = faultyStore(await seededStore());
  const store = f.store;
  const clock = new FakeClock();
  const notifier = new FakeNotifier();
  const n = misbehaving(notifier, 'notifier', f);
  const queue = new FakeQueue();
  const logs = new LogCapture();
  const log = createLog('debug', logs);
  const sealer = new JweTokenSealer(SECRET);
  const permissions = new PermissionService(store, clock);
  const technicalUsers = new TechnicalUserService({ store, sealer, clock, revealTtlHours: 24, notifier: n, log });
  const timer = new FakeGrantTimer();
  const grants = new GrantService({ store, clock, log, notifier: n, timer });
  const requests = new RequestService({
    store, clock, log, notifier: n, queue,
    handlers: {
      permission: new PermissionRequests(permissions),
      techuser: new TechnicalUserRequests({ store, users: technicalUsers, clock }),
      grant: new GrantRequests({ store, grants, clock }),
    },
  });
  const ws = (await store.workspaces.findById(WS_ID))!;
  return { f, ws, clock, notifier, queue, logs, requests, technicalUsers, sealer, grants, timer };
}

/** A technical user put straight into the store, with a token. */
export async function existingBot(w: CrashWorld, userName: string): Promise<TechnicalUser> {
  const t = generateApiToken();
  const now = w.clock.now();
  const tu: TechnicalUser = {
    id: randomUUID(), workspaceId: WS_ID, userName, description: '', role: 'MEMBER', customerRoles: [], accessControlEntities: [],
    token: { hash: t.hash, lastFour: t.lastFour, createdAt: now, expiresAt: new Date(now.getTime() + 90 * 86_400_000), revealBy: null, revokedAt: null, nextWarningAt: null, lastWarnedDays: null },
    createdAt: now, version: 1, lastRequestId: null,
  };
  await w.f.store.technicalUsers.insert(tu);
  return tu;
}

export interface Scenario {
  name: string;
  /** Prepares the world and returns the id of an APPROVED request. */
  setup(w: CrashWorld): Promise<{ id: string; before?: any }>;
  /** The change is there, once; the history has one line for it; a new token is the one to reveal. */
  check(w: CrashWorld, id: string, before?: any): Promise<void>;
}

export async function approve(w: CrashWorld, request: NewRequest): Promise<string> {
  const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request, reason: 'crash test' });
  const d = await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
  expect(d.request.status).toBe('APPROVED');
  return r.id;
}

async function linesFor(w: CrashWorld, type: 'permission' | 'technicalUser', subjectId: string, requestId: string) {
  return (await w.f.store.history.listBySubject(type, subjectId, 100)).filter((h) => h.requestId === requestId && h.id === requestId);
}

/** The token waiting to be revealed for a request: its hash must be the technical user's. */
async function revealHash(w: CrashWorld, id: string): Promise<string> {
  const reveal = await w.f.store.tokenReveals.findById(id);
  expect(reveal, 'the new token waits, sealed, for its owner').not.toBeNull();
  return hashApiToken(await w.sealer.open(reveal!.sealed, id));
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'permission.role',
    setup: async (w) => {
      const user = await w.f.store.users.findByEmail(ACTIVE);
      const before = await w.f.store.permissions.find(WS_ID, user!.id);
      return { id: await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }), before };
    },
    async check(w, id, before) {
      const user = await w.f.store.users.findByEmail(ACTIVE);
      const p = (await w.f.store.permissions.find(WS_ID, user!.id))!;
      expect(p.role).toBe('ADMIN');
      expect(p.version, 'changed exactly once').toBe(before.version + 1);
      expect(p.lastChange?.id).toBe(id);
      expect(await linesFor(w, 'permission', p.id, id)).toHaveLength(1);
    },
  },
  {
    name: 'permission.invite',
    setup: async (w) => ({ id: await approve(w, { kind: 'permission.invite', params: { email: 'crash.new@meshlab.de', role: 'VIEWER' } }) }),
    async check(w, id) {
      const user = await w.f.store.users.findByEmail('crash.new@meshlab.de');
      const p = (await w.f.store.permissions.find(WS_ID, user!.id))!;
      expect(p).toMatchObject({ role: 'VIEWER', status: 'INVITED' });
      expect(await linesFor(w, 'permission', p.id, id)).toHaveLength(1);
    },
  },
  {
    name: 'techuser.create',
    setup: async (w) => ({
      id: await approve(w, {
        kind: 'techuser.create',
        params: { userName: 'crash-bot', role: 'MEMBER', expiry: '2030-06-30', description: '', customerRoles: [], accessControlEntities: [] },
      }),
    }),
    async check(w, id) {
      const tu = (await w.f.store.technicalUsers.findByName(WS_ID, 'crash-bot'))!;
      expect(tu.lastRequestId).toBe(id);
      expect(await revealHash(w, id)).toBe(tu.token!.hash);
      expect(await linesFor(w, 'technicalUser', tu.id, id)).toHaveLength(1);
    },
  },
  {
    name: 'techuser.rotate',
    setup: async (w) => {
      const before = await existingBot(w, 'rotate-bot');
      return { id: await approve(w, { kind: 'techuser.rotate', params: { userName: 'rotate-bot' } }), before };
    },
    async check(w, id, before) {
      const tu = (await w.f.store.technicalUsers.findByName(WS_ID, 'rotate-bot'))!;
      expect(tu.token!.hash).not.toBe(before!.token!.hash);
      expect(await revealHash(w, id)).toBe(tu.token!.hash);
      expect(tu.version, 'the token was replaced exactly once').toBe(before!.version + 1);
      expect(await w.f.store.technicalUsers.findByTokenHash(before!.token!.hash)).toBeNull();
      expect(await linesFor(w, 'technicalUser', tu.id, id)).toHaveLength(1);
    },
  },
  {
    name: 'techuser.delete',
    setup: async (w) => {
      const before = await existingBot(w, 'delete-bot');
      return { id: await approve(w, { kind: 'techuser.delete', params: { userName: 'delete-bot' } }), before };
    },
    async check(w, id, before) {
      expect(await w.f.store.technicalUsers.findByName(WS_ID, 'delete-bot')).toBeNull();
      expect(await w.f.store.technicalUsers.findByTokenHash(before!.token!.hash)).toBeNull();
      expect(await linesFor(w, 'technicalUser', before!.id, id)).toHaveLength(1);
    },
  },
];

/** Runs the apply of `id` and lets it die (never return) at the first call to `repo.method`. */
export async function applyAndDieAt(w: CrashWorld, id: string, repo: string, method: string) {
  let died = false;
  let reached!: () => void;
  const dead = new Promise<void>((r) => (reached = r));
  w.f.rule = (c) => (c.repo === repo && c.method === method && !died ? ((died = true), reached(), { hang: true }) : undefined);
  void w.requests.apply(id);
  await Promise.race([dead, new Promise((r) => setTimeout(r, 5000))]);
  expect(died, `the run reached ${repo}.${method}`).toBe(true);
  w.f.reset();
}

/** New token hashes written to technical users during the calls recorded by `f` (a token job may write one). */
export function tokenHashesWritten(f: FaultyStore): Set<string> {
  const hashes = new Set<string>();
  for (const c of f.calls) {
    if (c.repo !== 'technicalUsers') continue;
    const arg = c.method === 'insert' ? (c.args[0] as TechnicalUser) : c.method === 'update' ? (c.args[2] as Partial<TechnicalUser>) : null;
    if (arg?.token?.hash) hashes.add(arg.token.hash);
  }
  return hashes;
}
