/**
 * Technical users in memory, with the indexes MongoDB would use: by (workspace, name), by token
 * hash, and expiry-warning due dates bucketed by hour, so the token exchange and the expiry scan
 * cost what they would against MongoDB rather than a walk over every record.
 */
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { TechnicalUserRepository } from '../../app/ports.js';
import { DuplicateKeyError } from '../errors.js';
import { copy, given, take } from './copy.js';

const HOUR = 3600_000;
const nameKey = (workspaceId: string, userName: string) => `${workspaceId}\u0000${userName}`;

export class MemoryTechnicalUsers implements TechnicalUserRepository {
  private readonly byId = new Map<string, TechnicalUser>();
  private readonly idByName = new Map<string, string>();
  private readonly idByHash = new Map<string, string>();
  /** Hour number of token.nextWarningAt -> ids due in that hour. */
  private readonly warningBuckets = new Map<number, Set<string>>();

  private index(t: TechnicalUser) {
    this.idByName.set(nameKey(t.workspaceId, t.userName), t.id);
    if (t.token) this.idByHash.set(t.token.hash, t.id);
    const due = t.token?.revokedAt ? null : t.token?.nextWarningAt;
    if (due) {
      const hour = Math.floor(due.getTime() / HOUR);
      const bucket = this.warningBuckets.get(hour) ?? new Set<string>();
      bucket.add(t.id);
      this.warningBuckets.set(hour, bucket);
    }
  }

  private unindex(t: TechnicalUser) {
    this.idByName.delete(nameKey(t.workspaceId, t.userName));
    if (t.token) this.idByHash.delete(t.token.hash);
    if (t.token?.nextWarningAt) {
      const hour = Math.floor(t.token.nextWarningAt.getTime() / HOUR);
      const bucket = this.warningBuckets.get(hour);
      bucket?.delete(t.id);
      if (bucket?.size === 0) this.warningBuckets.delete(hour);
    }
  }

  /** Token hashes are unique among the users that have a token, as MongoDB's partial index has it. */
  private assertHashFree(hash: string | undefined, self: string) {
    const owner = hash === undefined ? undefined : this.idByHash.get(hash);
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
    const overdue = [...this.byId.values()]
      .filter((t) => t.token?.revealBy && t.token.revealBy < now && !t.token.revokedAt)
      .sort((a, b) => a.token!.revealBy!.getTime() - b.token!.revealBy!.getTime());
    return take(overdue, limit).map(copy);
  }

  async listWarningsDue(now: Date, limit: number) {
    const lastHour = Math.floor(now.getTime() / HOUR);
    const due: TechnicalUser[] = [];
    for (const hour of [...this.warningBuckets.keys()].filter((h) => h <= lastHour)) {
      for (const id of this.warningBuckets.get(hour)!) {
        const t = this.byId.get(id)!;
        if (t.token?.nextWarningAt && t.token.nextWarningAt <= now) due.push(t);
      }
    }
    due.sort((a, b) => a.token!.nextWarningAt!.getTime() - b.token!.nextWarningAt!.getTime());
    return take(due, limit).map(copy);
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
