/**
 * The in-memory store (MONGODB_URI=memory): the same contract as the MongoDB adapter, for tests,
 * benchmarks and trying Keywarden out. It keeps nothing across restarts and nothing is shared
 * between processes, so it is for ROLE=all only.
 *
 * Every method copies records in and out (structuredClone) so callers can never mutate stored
 * state by accident, and each compare-and-set runs without an await between its check and its
 * write, which makes it atomic on Node's single thread.
 */
import type { HistoryEntry } from '../../domain/history.js';
import type { Permission } from '../../domain/permission.js';
import type { ChangeRequest } from '../../domain/request.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { User } from '../../domain/user.js';
import { emailKey } from '../../domain/user.js';
import type { Workspace } from '../../domain/workspace.js';
import type {
  HistoryRepository, PermissionRepository, RequestRepository, SigningKeyRecord, SigningKeyRepository, Store,
  TechnicalUserRepository, TokenReveal, TokenRevealRepository, UserRepository, WorkspaceRepository,
} from '../../app/ports.js';
import { DuplicateKeyError } from '../errors.js';

const copy = <T>(v: T): T => structuredClone(v);

/** The fields of a compare-and-set that are really given: `{ status: undefined }` changes nothing. */
const given = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(copy(fields)).filter(([, v]) => v !== undefined)) as Partial<T>;

/** At most `limit` items; a limit of zero or less gives none (slice(0, -1) would give all but one). */
const take = <T>(xs: T[], limit: number): T[] => (limit > 0 ? xs.slice(0, limit) : []);

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
    return ws ? copy(ws) : null;
  }
  async findByName(name: string) {
    for (const ws of this.byId.values()) if (ws.name === name) return copy(ws);
    return null;
  }
  async list() {
    return [...this.byId.values()].map(copy).sort((a, b) => a.name.localeCompare(b.name));
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
    this.byId.set(p.id, copy(p));
    this.idByPair.set(key, p.id);
    return true;
  }
  async update(id: string, expectedVersion: number, fields: Partial<Permission>) {
    const p = this.byId.get(id);
    if (!p || p.version !== expectedVersion) return null;
    const next = { ...p, ...given(fields), version: p.version + 1 };
    this.byId.set(id, next);
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
  async update(id: string, expected: { status: string; version: number }, fields: Partial<ChangeRequest>) {
    const r = this.byId.get(id);
    if (!r || r.status !== expected.status || r.version !== expected.version) return null;
    const next = { ...r, ...given(fields), version: r.version + 1 } as ChangeRequest;
    this.byId.set(id, next);
    return copy(next);
  }
  async setSlackRef(id: string, ref: { channel: string; ts: string }) {
    const r = this.byId.get(id);
    if (r) r.slack = { ...ref };
  }
  async claimNotified(id: string, at: Date) {
    const r = this.byId.get(id);
    if (!r || r.notifiedAt) return false;
    r.notifiedAt = new Date(at);
    return true;
  }
  async releaseNotified(id: string) {
    const r = this.byId.get(id);
    if (r) r.notifiedAt = null;
  }
  async listDecided(status: string, decidedBefore: Date, limit: number) {
    const decided = [...this.byId.values()]
      .filter((r) => r.status === status && r.decidedAt && r.decidedAt < decidedBefore)
      .sort((a, b) => a.decidedAt!.getTime() - b.decidedAt!.getTime());
    return take(decided, limit).map(copy);
  }
}

class History implements HistoryRepository {
  private readonly entries: HistoryEntry[] = [];
  private readonly ids = new Set<string>();
  async append(entry: HistoryEntry) {
    if (this.ids.has(entry.id)) return;
    this.ids.add(entry.id);
    this.entries.push(copy(entry));
  }
  async listBySubject(type: string, id: string, limit: number) {
    const entries = this.entries
      .filter((e) => e.subject.type === type && e.subject.id === id)
      .sort((a, b) => b.at.getTime() - a.at.getTime());
    return take(entries, limit).map(copy);
  }
}

class TechnicalUsers implements TechnicalUserRepository {
  private readonly byId = new Map<string, TechnicalUser>();
  private findBy(pred: (t: TechnicalUser) => boolean) {
    for (const t of this.byId.values()) if (pred(t)) return copy(t);
    return null;
  }
  /** Token hashes are unique among the users that have a token, as MongoDB's partial index has it. */
  private assertHashFree(hash: string | undefined, self: string) {
    if (hash !== undefined && this.findBy((o) => o.id !== self && o.token?.hash === hash)) {
      throw new DuplicateKeyError('technicalUsers', 'token.hash');
    }
  }
  async insert(t: TechnicalUser) {
    if (this.findBy((o) => o.workspaceId === t.workspaceId && o.userName === t.userName)) return false;
    if (this.byId.has(t.id)) throw new DuplicateKeyError('technicalUsers', '_id');
    this.assertHashFree(t.token?.hash, t.id);
    this.byId.set(t.id, copy(t));
    return true;
  }
  async findById(id: string) {
    const t = this.byId.get(id);
    return t ? copy(t) : null;
  }
  async findByName(workspaceId: string, userName: string) {
    return this.findBy((t) => t.workspaceId === workspaceId && t.userName === userName);
  }
  async findByTokenHash(hash: string) {
    return this.findBy((t) => t.token?.hash === hash);
  }
  async update(id: string, expectedVersion: number, fields: Partial<TechnicalUser>) {
    const t = this.byId.get(id);
    if (!t || t.version !== expectedVersion) return null;
    this.assertHashFree(fields.token?.hash, id);
    const next = { ...t, ...given(fields), version: t.version + 1 };
    this.byId.set(id, next);
    return copy(next);
  }
  async delete(id: string, expectedVersion: number) {
    const t = this.byId.get(id);
    if (!t || t.version !== expectedVersion) return false;
    return this.byId.delete(id);
  }
  async listRevealOverdue(now: Date, limit: number) {
    const overdue = [...this.byId.values()]
      .filter((t) => t.token?.revealBy && t.token.revealBy < now && !t.token.revokedAt)
      .sort((a, b) => a.token!.revealBy!.getTime() - b.token!.revealBy!.getTime());
    return take(overdue, limit).map(copy);
  }
  async list(workspaceId: string) {
    return [...this.byId.values()]
      .filter((t) => t.workspaceId === workspaceId)
      .sort((a, b) => a.userName.localeCompare(b.userName))
      .map(copy);
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

export function createMemoryStore(): Store {
  return {
    kind: 'memory',
    workspaces: new Workspaces(),
    users: new Users(),
    permissions: new Permissions(),
    requests: new Requests(),
    history: new History(),
    technicalUsers: new TechnicalUsers(),
    tokenReveals: new TokenReveals(),
    signingKeys: new SigningKeys(),
    async init() {},
    async ping() {},
    async close() {},
  };
}
