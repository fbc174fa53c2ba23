/**
 * Small fakes of the ports for use-case tests, and a memory store seeded with one workspace.
 * Fakes of ports only: the store is the real in-memory adapter.
 */
import { randomUUID } from 'node:crypto';
import type { ApplyQueue, Clock, Notifier, PermissionRepository, Store } from '../../src/app/ports.js';
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { PermissionService } from '../../src/app/permissions.js';
import { RequestService } from '../../src/app/requests.js';
import { applySeed, Seed } from '../../src/app/seed.js';
import type { ChangeRequest } from '../../src/domain/request.js';
import type { GrantEnd } from '../../src/domain/grant.js';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import type { Workspace } from '../../src/domain/workspace.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { LogCapture } from '../helpers/keywarden.js';

export const WS_ID = 'e1937ae6-05d4-4e43-a3b5-565e7d80b82c';
export const TEAM = 'T1';
export const ADMIN = 'UADMIN';
export const APPROVER1 = 'UAPPR1';
export const APPROVER2 = 'UAPPR2';
export const INVITED = 'john.doe@meshlab.de';
export const ACTIVE = 'jane.roe@meshlab.de';
export const ARCHIVED = 'max.muster@meshlab.de';

export class FakeClock implements Clock {
  constructor(private t = new Date('2030-01-01T09:00:00.000Z')) {}
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t = new Date(this.t.getTime() + ms);
  }
}

export class FakeNotifier implements Notifier {
  readonly created: ChangeRequest[] = [];
  readonly updated: ChangeRequest[] = [];
  readonly told: ChangeRequest[] = [];
  failCreate = false;
  /** The process "stops" while posting: requestCreated never returns. */
  hangCreate = false;
  async requestCreated(r: ChangeRequest, _ws: Workspace) {
    this.created.push(r);
    if (this.failCreate) throw new Error('channel_not_found');
    if (this.hangCreate) return new Promise<never>(() => {});
    return { channel: 'CAPPROVALS', ts: `1700000000.${String(this.created.length).padStart(6, '0')}` };
  }
  async requestUpdated(r: ChangeRequest) {
    this.updated.push(r);
  }
  async tellRequester(r: ChangeRequest) {
    this.told.push(r);
  }
  readonly reminded: ChangeRequest[] = [];
  failRemind = false;
  async remindApprovers(r: ChangeRequest) {
    this.reminded.push(r);
    if (this.failRemind) throw new Error('not_in_channel');
  }
  /** The requester's DMs that a grant ended (the thread lines are in grantEndThreads). */
  readonly grantEnds: Array<{ id: string; end: GrantEnd; revertedTo: string }> = [];
  readonly grantEndThreads: string[] = [];
  /** Fails that many DMs that a grant ended. */
  failGrantEnded = 0;
  async grantEnded(r: ChangeRequest, _ws: Workspace, end: GrantEnd, revertedTo: string, to: 'requester' | 'thread') {
    if (to === 'thread') {
      this.grantEndThreads.push(r.id);
      return;
    }
    if (this.failGrantEnded > 0) {
      this.failGrantEnded--;
      throw new Error('slack down');
    }
    this.grantEnds.push({ id: r.id, end, revertedTo });
  }
  readonly drift: Array<{ workspaceId: string; entryIds: string[]; day?: string }> = [];
  async driftFound(ws: Workspace, entryIds: string[], digest?: { day: string }) {
    this.drift.push({ workspaceId: ws.id, entryIds, ...(digest && { day: digest.day }) });
  }
  /** Break-glass lines in the thread (those in the notification channels are in breakGlassChannels). */
  readonly breakGlass: Array<{ id: string; what: 'used' | 'unreviewed'; hours?: number }> = [];
  readonly breakGlassChannels: Array<{ id: string; what: 'used' | 'unreviewed'; where: string }> = [];
  readonly escalations: Array<{ id: string; to: string[] }> = [];
  async breakGlassUsed(r: ChangeRequest, _ws: Workspace, where: string) {
    if (where === 'thread') this.breakGlass.push({ id: r.id, what: 'used' });
    else this.breakGlassChannels.push({ id: r.id, what: 'used', where });
  }
  async breakGlassUnreviewed(r: ChangeRequest, _ws: Workspace, hours: number, where: string) {
    if (where === 'thread') this.breakGlass.push({ id: r.id, what: 'unreviewed', hours });
    else this.breakGlassChannels.push({ id: r.id, what: 'unreviewed', where });
  }
  async escalated(r: ChangeRequest, _ws: Workspace, to: string[]) {
    this.escalations.push({ id: r.id, to });
  }
  readonly subjects: Array<{ id: string; to: string; until: Date | null }> = [];
  async tellSubject(r: ChangeRequest, _ws: Workspace, to: string, until: Date | null) {
    this.subjects.push({ id: r.id, to, until });
  }
  /** Subjects to be looked up on Slack in the outbound path (not done here). */
  readonly subjectsToFind: string[] = [];
  async findSubject(r: ChangeRequest) {
    this.subjectsToFind.push(r.id);
  }
  readonly channelNotices: string[] = [];
  readonly warnings: Array<{ userName: string; days: number }> = [];
  failWarnings = 0;
  async notifyChannels(_ws: Workspace, text: string) {
    this.channelNotices.push(text);
  }
  /** One call per scan and workspace: `failWarnings` fails that many calls. */
  async tokensExpiring(_ws: Workspace, warnings: Array<{ tu: TechnicalUser; days: number }>) {
    if (this.failWarnings > 0) {
      this.failWarnings--;
      throw new Error('slack down');
    }
    for (const { tu, days } of warnings) this.warnings.push({ userName: tu.userName, days });
  }
}

export class FakeQueue implements ApplyQueue {
  readonly enqueued: string[] = [];
  down = false;
  async enqueue(requestId: string) {
    if (this.down) throw new Error('Connection is closed.');
    this.enqueued.push(requestId);
  }
}

/** Wraps the permission repository so its update() throws `times` times before working again. */
export function flakyPermissionUpdates(store: Store, times: number): Store & { failures: () => number } {
  const inner = store.permissions;
  let left = times;
  let failed = 0;
  const permissions: PermissionRepository = {
    findById: (id) => inner.findById(id),
    find: (ws, user) => inner.find(ws, user),
    insert: (p) => inner.insert(p),
    list: (ws, f) => inner.list(ws, f),
    listGrantsDue: (n, l) => inner.listGrantsDue(n, l),
    listGrants: (w, l) => inner.listGrants(w, l),
    countGrants: () => inner.countGrants(),
    async update(id, v, fields) {
      if (left > 0) {
        left--;
        failed++;
        throw new Error('MongoNetworkError: connection reset');
      }
      return inner.update(id, v, fields);
    },
  };
  return { ...store, permissions, failures: () => failed };
}

export async function seededStore(requiredApprovals = 1): Promise<Store> {
  const store = createMemoryStore();
  const seed = Seed.parse({
    workspaces: [{
      id: WS_ID, name: 'meshlab', slack: { teamId: TEAM, approvalsChannel: 'CAPPROVALS' },
      admins: [ADMIN], approvers: [APPROVER1, APPROVER2], policy: { requiredApprovals, requestTtlHours: 72 },
      users: [
        { email: INVITED, role: 'MEMBER', status: 'INVITED' },
        { email: ACTIVE, role: 'MEMBER', status: 'ACTIVE' },
        { email: ARCHIVED, role: 'VIEWER', status: 'ARCHIVED' },
      ],
    }],
  });
  await applySeed(store, seed, createLog('silent'));
  return store;
}

export interface World {
  store: Store;
  ws: Workspace;
  clock: FakeClock;
  notifier: FakeNotifier;
  queue: FakeQueue;
  logs: LogCapture;
  permissions: PermissionService;
  requests: RequestService;
  permissionOf(email: string): Promise<import('../../src/domain/permission.js').Permission>;
  historyOf(email: string): Promise<import('../../src/domain/history.js').HistoryEntry[]>;
}

export async function world(opts: { store?: Store; requiredApprovals?: number } = {}): Promise<World> {
  const store = opts.store ?? (await seededStore(opts.requiredApprovals));
  const ws = (await store.workspaces.findById(WS_ID))!;
  const clock = new FakeClock();
  const notifier = new FakeNotifier();
  const queue = new FakeQueue();
  const logs = new LogCapture();
  const permissions = new PermissionService(store, clock);
  const handlers = { permission: new PermissionRequests(permissions) };
  const requests = new RequestService({ store, handlers, notifier, queue, clock, log: createLog('debug', logs) });
  const permissionOf = async (email: string) => {
    const user = await store.users.findByEmail(email);
    return (await store.permissions.find(WS_ID, user!.id))!;
  };
  const historyOf = async (email: string) => store.history.listBySubject('permission', (await permissionOf(email)).id, 100);
  return { store, ws, clock, notifier, queue, logs, permissions, requests, permissionOf, historyOf };
}

/** A request submitted by ADMIN and approved by APPROVER1 (queued on the fake queue). */
export async function approved(w: World, request: Parameters<RequestService['submit']>[0]['request']) {
  const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request, reason: null });
  const res = await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
  if (res.request.status !== 'APPROVED') throw new Error(`expected APPROVED, got ${res.request.status}`);
  return res.request;
}

export const unknownId = () => randomUUID();
