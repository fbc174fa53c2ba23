/**
 * The in-memory store (MONGODB_URI=memory): the same contract as the MongoDB adapter, for tests,
 * benchmarks and trying Keywarden out. It keeps nothing across restarts and nothing is shared
 * between processes, so it is for ROLE=all only.
 *
 * Every method copies records in and out (structuredClone) so callers can never mutate stored
 * state by accident, and each compare-and-set runs without an await between its check and its
 * write, which makes it atomic on Node's single thread.
 */
import type { Permission } from '../../domain/permission.js';
import type { ChangeRequest, OwedEvent, UndeliveredMessage } from '../../domain/request.js';
import type { User } from '../../domain/user.js';
import { emailKey } from '../../domain/user.js';
import { isRetired, type Workspace } from '../../domain/workspace.js';
import type {
  PermissionRepository, RequestListFilter, RequestRepository, SigningKeyRecord, SigningKeyRepository, Store,
  TokenReveal, TokenRevealRepository, UserRepository, WorkspaceRepository,
} from '../../app/ports.js';
import { UNDELIVERED_KEPT } from '../../app/ports.js';
import type { SlackInstallation, SlackInstallationRepository, SlackInstallationTokens } from '../../app/ports.js';
import { DuplicateKeyError } from '../errors.js';

import { copy, given, take } from './copy.js';
import { GrantIndex } from './grant-index.js';
import { MemoryHistory } from './history.js';
import { MemoryOwnership } from './ownership.js';
import { MemoryAccessReviews } from './access-reviews.js';
import { MemoryTechnicalUsers } from './technical-users.js';

class Workspaces implements WorkspaceRepository {
  private readonly byId = new Map<string, Workspace>();
  async upsert(ws: Workspace) {
    for (const other of this.byId.values()) {
      if (other.name === ws.name && other.id !== ws.id) throw new DuplicateKeyError('workspaces', 'name');
    }
    this.byId.set(ws.id, copy(ws));
  }
  async findById(id: string) {
    const ws = this.byId.get(id);
    return ws && !isRetired(ws) ? copy(ws) : null;
  }
  async findByName(name: string) {
    for (const ws of this.byId.values()) if (ws.name === name && !isRetired(ws)) return copy(ws);
    return null;
  }
  async list() {
    return this.sorted((ws) => !isRetired(ws));
  }
  async findRecord(id: string) {
    const ws = this.byId.get(id);
    return ws ? copy(ws) : null;
  }
  async listRetired() {
    return this.sorted(isRetired);
  }
  async retire(id: string, at: Date) {
    const ws = this.byId.get(id);
    if (!ws || isRetired(ws)) return null;
    ws.retiredAt = new Date(at.getTime());
    return copy(ws);
  }
  private sorted(keep: (ws: Workspace) => boolean) {
    return [...this.byId.values()].filter(keep).map(copy).sort((a, b) => a.name.localeCompare(b.name));
  }
}

class Users implements UserRepository {
  private readonly byId = new Map<string, User>();
  private readonly idByEmail = new Map<string, string>();
  async findByEmail(email: string) {
    if (typeof email !== 'string') return null;
    const id = this.idByEmail.get(emailKey(email));
    return id ? copy(this.byId.get(id)!) : null;
  }
  async findByIds(ids: string[]) {
    return ids.flatMap((id) => (this.byId.has(id) ? [copy(this.byId.get(id)!)] : []));
  }
  async ensure(user: User) {
    const existing = this.idByEmail.get(emailKey(user.email));
    if (existing) return copy(this.byId.get(existing)!);
    if (this.byId.has(user.id)) throw new DuplicateKeyError('users', '_id');
    this.byId.set(user.id, copy(user));
    this.idByEmail.set(emailKey(user.email), user.id);
    return copy(user);
  }
}

class Permissions implements PermissionRepository {
  private readonly byId = new Map<string, Permission>();
  private readonly idByPair = new Map<string, string>();
  private readonly grants = new GrantIndex<Permission>((id) => this.byId.get(id));
  declare listGrantsDue: PermissionRepository['listGrantsDue'];
  declare listGrants: PermissionRepository['listGrants'];
  declare countGrants: PermissionRepository['countGrants'];
  constructor() {
    Object.assign(this, this.grants.queries());
  }
  private static pair = (workspaceId: string, userId: string) => `${workspaceId}\u0000${userId}`;
  async findById(id: string) {
    const p = this.byId.get(id);
    return p ? copy(p) : null;
  }
  async find(workspaceId: string, userId: string) {
    const id = this.idByPair.get(Permissions.pair(workspaceId, userId));
    return id ? copy(this.byId.get(id)!) : null;
  }
  async insert(p: Permission) {
    const key = Permissions.pair(p.workspaceId, p.userId);
    if (this.idByPair.has(key)) return false;
    if (this.byId.has(p.id)) throw new DuplicateKeyError('permissions', '_id');
    const stored = copy(p);
    this.byId.set(p.id, stored);
    this.idByPair.set(key, p.id);
    this.grants.add(stored);
    return true;
  }
  async update(id: string, expectedVersion: number, fields: Partial<Permission>) {
    const p = this.byId.get(id);
    if (!p || p.version !== expectedVersion) return null;
    const next = { ...p, ...given(fields), version: p.version + 1 };
    this.grants.remove(p);
    this.byId.set(id, next);
    this.grants.add(next);
    return copy(next);
  }
  async list(workspaceId: string, filter: { status?: string; userId?: string } = {}) {
    const out: Permission[] = [];
    for (const p of this.byId.values()) {
      if (p.workspaceId !== workspaceId) continue;
      if (filter.status && p.status !== filter.status) continue;
      if (filter.userId && p.userId !== filter.userId) continue;
      out.push(copy(p));
    }
    return out;
  }
}

class Requests implements RequestRepository {
  private readonly byId = new Map<string, ChangeRequest>();
  async insert(r: ChangeRequest) {
    if (this.byId.has(r.id)) throw new DuplicateKeyError('requests', '_id');
    this.byId.set(r.id, copy(r));
  }
  async findById(id: string) {
    const r = this.byId.get(id);
    return r ? copy(r) : null;
  }
  async update(id: string, expected: { status: string; version: number }, fields: Partial<ChangeRequest>, owed?: OwedEvent) {
    const r = this.byId.get(id);
    if (!r || r.status !== expected.status || r.version !== expected.version) return null;
    const next = { ...r, ...given(fields), version: r.version + 1 } as ChangeRequest;
    if (owed) next.unnoted = [...(r.unnoted ?? []), copy(owed)];
    this.byId.set(id, next);
    return copy(next);
  }
  async listUnnoted(before: Date, limit: number) {
    const first = (r: ChangeRequest) => Math.min(...(r.unnoted ?? []).map((e) => e.at.getTime()));
    const found = [...this.byId.values()].filter((r) => (r.unnoted ?? []).some((e) => e.at <= before)).sort((a, b) => first(a) - first(b));
    return take(found, limit).map(copy);
  }
  async markNoted(id: string, status: string) {
    const r = this.byId.get(id);
    if (r?.unnoted) r.unnoted = r.unnoted.filter((e) => e.status !== status);
  }
  async setSlackRef(id: string, ref: { channel: string; ts: string }) {
    const r = this.byId.get(id);
    if (r) r.slack = { ...ref };
  }
  async claimNotified(id: string, at: Date) {
    const r = this.byId.get(id);
    if (!r || r.notifiedAt) return false;
    r.notifiedAt = copy(at);
    return true;
  }
  async releaseNotified(id: string) {
    const r = this.byId.get(id);
    if (r) r.notifiedAt = null;
  }
  async claimNotice(id: string, key: string, at: Date) {
    const r = this.byId.get(id);
    if (!r || r.notices?.[key]) return false;
    r.notices = { ...r.notices, [key]: new Date(at) };
    return true;
  }
  async releaseNotice(id: string, key: string) {
    const r = this.byId.get(id);
    if (r?.notices) delete r.notices[key];
  }
  async noteUndelivered(id: string, note: UndeliveredMessage) {
    const r = this.byId.get(id);
    if (r) r.undelivered = [...(r.undelivered ?? []), copy(note)].slice(-UNDELIVERED_KEPT);
  }
  async listDecided(status: string, decidedBefore: Date, limit: number) {
    const decided = [...this.byId.values()]
      .filter((r) => r.status === status && r.decidedAt && r.decidedAt < decidedBefore)
      .sort((a, b) => a.decidedAt!.getTime() - b.decidedAt!.getTime());
    return take(decided, limit).map(copy);
  }
  async listRemindersDue(now: Date, limit: number) {
    return this.pendingBy('remindAt', (at) => at <= now, limit);
  }
  async listEscalationsDue(now: Date, limit: number) {
    return this.pendingBy('escalateAt', (at) => at <= now, limit);
  }
  async listApprovalsOwed(before: Date, limit: number) {
    return this.pendingBy('approveAt', (at) => at <= before, limit);
  }
  async listBreakGlassUnreviewed(limit: number, workspaceIds?: readonly string[]) {
    const among = workspaceIds && new Set(workspaceIds);
    const found = [...this.byId.values()]
      .filter((r) => r.status === 'APPLIED' && r.breakGlass && r.breakGlass.verdict === null && (!among || among.has(r.workspaceId)))
      .sort((a, b) => (a.appliedAt?.getTime() ?? 0) - (b.appliedAt?.getTime() ?? 0));
    return take(found, limit).map(copy);
  }
  async listUnposted(createdBefore: Date, limit: number) {
    return this.pendingBy('createdAt', (at, r) => at < createdBefore && !r.slack, limit);
  }
  async listPendingExpired(now: Date, limit: number) {
    return this.pendingBy('expiresAt', (at) => at <= now, limit);
  }
  /** PENDING requests whose `field` is set and `due`, earliest first. */
  private pendingBy(field: 'remindAt' | 'createdAt' | 'expiresAt' | 'escalateAt' | 'approveAt', due: (at: Date, r: ChangeRequest) => boolean, limit: number) {
    const found = [...this.byId.values()]
      .filter((r) => r.status === 'PENDING' && r[field] && due(r[field]!, r))
      .sort((a, b) => a[field]!.getTime() - b[field]!.getTime());
    return take(found, limit).map(copy);
  }
  async listByWorkspace(workspaceId: string, filter: RequestListFilter) {
    // As MongoDB's adapter: a page position that is not a plain id matches nothing.
    if (filter.before && typeof filter.before.id !== 'string') return [];
    const found = [...this.byId.values()]
      .filter((r) => r.workspaceId === workspaceId && (!filter.status || r.status === filter.status) && (!filter.requester || r.requester === filter.requester))
      .filter((r) => !filter.before || r.createdAt < filter.before.createdAt || (r.createdAt.getTime() === filter.before.createdAt.getTime() && r.id < filter.before.id))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return take(found, filter.limit).map(copy);
  }
}

/** No TTL here: an expired reveal stays until deleted, but `claim` refuses it as MongoDB's does. */
class TokenReveals implements TokenRevealRepository {
  private readonly byId = new Map<string, TokenReveal>();
  async put(r: TokenReveal) {
    const existing = this.byId.get(r.id);
    if (existing) return copy(existing);
    this.byId.set(r.id, copy(r));
    return copy(r);
  }
  async findById(id: string) {
    const r = this.byId.get(id);
    return r ? copy(r) : null;
  }
  async claim(id: string, recipient: string, now: Date) {
    const r = this.byId.get(id);
    if (!r || r.recipient !== recipient || r.claimedAt || !(r.expiresAt > now)) return null;
    r.claimedAt = new Date(now);
    return copy(r);
  }
  async release(id: string) {
    const r = this.byId.get(id);
    if (r) r.claimedAt = null;
  }
  async delete(id: string) {
    this.byId.delete(id);
  }
}

class SigningKeys implements SigningKeyRepository {
  private readonly byId = new Map<string, SigningKeyRecord>();
  async list() {
    return [...this.byId.values()].sort((a, b) => b.generation - a.generation).map(copy);
  }
  async insertIfAbsent(k: SigningKeyRecord) {
    for (const stored of this.byId.values()) if (stored.generation === k.generation) return copy(stored);
    if (this.byId.has(k.id)) throw new DuplicateKeyError('signingKeys', '_id');
    this.byId.set(k.id, copy(k));
    return copy(k);
  }
  async retire(id: string, at: Date) {
    const k = this.byId.get(id);
    if (!k) return null;
    if (k.retiresAt === null || k.retiresAt > at) k.retiresAt = new Date(at);
    return copy(k);
  }
}

class MemorySlackInstallations implements SlackInstallationRepository {
  private readonly byId = new Map<string, SlackInstallation>();
  async put(i: Omit<SlackInstallation, 'version'>) {
    const stored = { ...copy(i), version: (this.byId.get(i.id)?.version ?? 0) + 1 };
    this.byId.set(i.id, stored);
    return copy(stored);
  }
  async findById(id: string) {
    const i = this.byId.get(id);
    return i ? copy(i) : null;
  }
  async rotate(id: string, version: number, tokens: SlackInstallationTokens) {
    const i = this.byId.get(id);
    if (!i || i.version !== version) return null;
    Object.assign(i, copy(tokens), { version: version + 1 });
    return copy(i);
  }
  async delete(id: string, installedBefore?: Date) {
    const i = this.byId.get(id);
    if (!i || (installedBefore && i.installedAt.getTime() >= installedBefore.getTime())) return false;
    return this.byId.delete(id);
  }
}

export function createMemoryStore(): Store {
  return {
    kind: 'memory',
    workspaces: new Workspaces(),
    users: new Users(),
    permissions: new Permissions(),
    requests: new Requests(),
    history: new MemoryHistory(),
    technicalUsers: new MemoryTechnicalUsers(),
    tokenReveals: new TokenReveals(),
    signingKeys: new SigningKeys(),
    ownership: new MemoryOwnership(),
    slackInstallations: new MemorySlackInstallations(),
    accessReviews: new MemoryAccessReviews(),
    async init() {},
    async ping() {},
    async close() {},
  };
}
