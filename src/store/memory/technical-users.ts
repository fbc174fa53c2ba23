/**
 * Technical users in memory, with the indexes MongoDB would use: by (workspace, name), by token
 * hash, and by the moments the maintenance jobs ask about (next expiry warning, reveal deadline),
 * so the token exchange and the scans cost what they would against MongoDB rather than a walk
 * over every record.
 */
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { TechnicalUserRepository } from '../../app/ports.js';
import { DuplicateKeyError } from '../errors.js';
import { copy, given, take } from './copy.js';
import { GrantIndex } from './grant-index.js';
import { HourIndex } from './hour-index.js';

const nameKey = (workspaceId: string, userName: string) => `${workspaceId}\u0000${userName}`;

export class MemoryTechnicalUsers implements TechnicalUserRepository {
  private readonly byId = new Map<string, TechnicalUser>();
  private readonly idByName = new Map<string, string>();
  private readonly idByHash = new Map<string, string>();
  private readonly byNextWarning = new HourIndex();
  private readonly byRevealDeadline = new HourIndex();
  private readonly grants = new GrantIndex<TechnicalUser>((id) => this.byId.get(id));
  declare listGrantsDue: TechnicalUserRepository['listGrantsDue'];
  declare listGrants: TechnicalUserRepository['listGrants'];
  declare countGrants: TechnicalUserRepository['countGrants'];
  constructor() {
    Object.assign(this, this.grants.queries());
  }

  // Revoked tokens are in neither time index: both queries exclude them.
  private index(t: TechnicalUser) {
    this.idByName.set(nameKey(t.workspaceId, t.userName), t.id);
    this.grants.add(t);
    if (t.token?.hash) this.idByHash.set(t.token.hash, t.id);
    if (t.token && !t.token.revokedAt) {
      this.byNextWarning.add(t.id, t.token.nextWarningAt);
      this.byRevealDeadline.add(t.id, t.token.revealBy);
    }
  }

  private unindex(t: TechnicalUser) {
    this.idByName.delete(nameKey(t.workspaceId, t.userName));
    this.grants.remove(t);
    if (t.token?.hash) this.idByHash.delete(t.token.hash);
    this.byNextWarning.remove(t.id, t.token?.nextWarningAt);
    this.byRevealDeadline.remove(t.id, t.token?.revealBy);
  }

  /** The records an hour index files at or before `now` whose moment really is due. */
  private due(index: HourIndex, now: Date, moment: (t: TechnicalUser) => Date | null | undefined, strictly: boolean) {
    const due: TechnicalUser[] = [];
    for (const id of index.upTo(now)) {
      const t = this.byId.get(id)!;
      const at = moment(t);
      if (at && (strictly ? at < now : at <= now) && !t.token?.revokedAt) due.push(t);
    }
    return due.sort((a, b) => moment(a)!.getTime() - moment(b)!.getTime());
  }

  /** Token hashes are unique among the users that have a token, as MongoDB's partial index has it. */
  private assertHashFree(hash: string | null | undefined, self: string) {
    const owner = hash === undefined || hash === null ? undefined : this.idByHash.get(hash);
    if (owner !== undefined && owner !== self) throw new DuplicateKeyError('technicalUsers', 'token.hash');
  }

  async insert(t: TechnicalUser) {
    if (this.idByName.has(nameKey(t.workspaceId, t.userName))) return false;
    if (this.byId.has(t.id)) throw new DuplicateKeyError('technicalUsers', '_id');
    this.assertHashFree(t.token?.hash, t.id);
    const stored = copy(t);
    this.byId.set(t.id, stored);
    this.index(stored);
    return true;
  }

  async findById(id: string) {
    const t = this.byId.get(id);
    return t ? copy(t) : null;
  }

  async findByName(workspaceId: string, userName: string) {
    if (typeof workspaceId !== 'string' || typeof userName !== 'string') return null;
    const id = this.idByName.get(nameKey(workspaceId, userName));
    return id ? copy(this.byId.get(id)!) : null;
  }

  async findByTokenHash(hash: string) {
    if (typeof hash !== 'string') return null;
    const id = this.idByHash.get(hash);
    return id ? copy(this.byId.get(id)!) : null;
  }

  async update(id: string, expectedVersion: number, fields: Partial<TechnicalUser>) {
    const t = this.byId.get(id);
    if (!t || t.version !== expectedVersion) return null;
    this.assertHashFree(fields.token?.hash, id);
    const next = { ...t, ...given(fields), version: t.version + 1 };
    this.unindex(t);
    this.byId.set(id, next);
    this.index(next);
    return copy(next);
  }

  async delete(id: string, expectedVersion: number) {
    const t = this.byId.get(id);
    if (!t || t.version !== expectedVersion) return false;
    this.unindex(t);
    return this.byId.delete(id);
  }

  async listRevealOverdue(now: Date, limit: number) {
    return take(this.due(this.byRevealDeadline, now, (t) => t.token?.revealBy, true), limit).map(copy);
  }

  async listWarningsDue(now: Date, limit: number, workspaceIds?: readonly string[]) {
    const among = workspaceIds && new Set(workspaceIds);
    const due = this.due(this.byNextWarning, now, (t) => t.token?.nextWarningAt, false);
    return take(among ? due.filter((t) => among.has(t.workspaceId)) : due, limit).map(copy);
  }

  async listByExpiry(workspaceId: string, limit: number) {
    const withToken = [...this.byId.values()]
      .filter((t) => t.workspaceId === workspaceId && t.token)
      .sort((a, b) => a.token!.expiresAt.getTime() - b.token!.expiresAt.getTime());
    return take(withToken, limit).map(copy);
  }

  async countTokensExpiringBefore(bounds: Date[]) {
    const live = [...this.byId.values()].filter((t) => t.token && !t.token.revokedAt);
    return bounds.map((b) => live.filter((t) => t.token!.expiresAt < b).length);
  }

  async list(workspaceId: string) {
    return [...this.byId.values()]
      .filter((t) => t.workspaceId === workspaceId)
      .sort((a, b) => a.userName.localeCompare(b.userName))
      .map(copy);
  }
}
