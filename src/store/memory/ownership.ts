/** Ownership and review records in memory; each compare-and-set runs with no await inside. */
import type { OwnershipRepository } from '../../app/ports.js';
import { isUnreviewed, type OwnershipRecord, type ReviewFields } from '../../domain/ownership-review.js';
import { copy, given, take } from './copy.js';

export class MemoryOwnership implements OwnershipRepository {
  private readonly byId = new Map<string, OwnershipRecord>();

  async insertIfAbsent(r: OwnershipRecord) {
    if (this.byId.has(r.id)) return false;
    this.byId.set(r.id, copy(r));
    return true;
  }

  async findById(id: string) {
    const r = this.byId.get(id);
    return r ? copy(r) : null;
  }

  async update(id: string, expectedVersion: number, fields: ReviewFields) {
    const r = this.byId.get(id);
    if (!r || r.version !== expectedVersion) return null;
    // `given` drops undefined but keeps null: `nextAt: null` means "nothing due".
    const next = { ...r, ...given(fields), version: r.version + 1 };
    this.byId.set(id, next);
    return copy(next);
  }

  async touchLastUsed(id: string, at: Date, olderThan: Date) {
    const r = this.byId.get(id);
    if (r && (!r.lastUsedAt || r.lastUsedAt <= olderThan)) r.lastUsedAt = new Date(at);
  }

  async delete(id: string) {
    this.byId.delete(id);
  }

  async listDue(now: Date, limit: number, workspaceIds?: readonly string[]) {
    const among = workspaceIds && new Set(workspaceIds);
    const due = [...this.byId.values()]
      .filter((r) => r.nextAt !== null && r.nextAt <= now && (!among || among.has(r.workspaceId)))
      .sort((a, b) => a.nextAt!.getTime() - b.nextAt!.getTime());
    return take(due, limit).map(copy);
  }

  async listByWorkspace(workspaceId: string) {
    return [...this.byId.values()].filter((r) => r.workspaceId === workspaceId).map(copy);
  }

  async countUnreviewed() {
    return [...this.byId.values()].filter(isUnreviewed).length;
  }
}
