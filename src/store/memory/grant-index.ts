/**
 * The in-memory twin of MongoDB's indexes on a subject's grant end: due grants are read through an
 * hour index (cost follows the due ones), a workspace's grants through a set per workspace.
 */
import type { Grant } from '../../domain/grant.js';
import { HourIndex } from './hour-index.js';
import type { GrantQueries } from '../../app/ports.js';
import { copy, take } from './copy.js';

interface GrantHolder {
  id: string;
  workspaceId: string;
  grant?: Grant | null;
}

export class GrantIndex<T extends GrantHolder> {
  private readonly byEnd = new HourIndex();
  private readonly byWorkspace = new Map<string, Set<string>>();

  constructor(private readonly get: (id: string) => T | undefined) {}

  add(t: T): void {
    if (!t.grant) return;
    this.byEnd.add(t.id, t.grant.until);
    const ids = this.byWorkspace.get(t.workspaceId) ?? new Set<string>();
    ids.add(t.id);
    this.byWorkspace.set(t.workspaceId, ids);
  }

  remove(t: T): void {
    if (!t.grant) return;
    this.byEnd.remove(t.id, t.grant.until);
    const ids = this.byWorkspace.get(t.workspaceId);
    ids?.delete(t.id);
    if (ids?.size === 0) this.byWorkspace.delete(t.workspaceId);
  }

  due(now: Date, limit: number): T[] {
    const due: T[] = [];
    for (const id of this.byEnd.upTo(now)) {
      const t = this.get(id);
      if (t?.grant && t.grant.until <= now) due.push(t);
    }
    return take(due.sort(byEnd), limit);
  }

  inWorkspace(workspaceId: string, limit: number): T[] {
    const ids = [...(this.byWorkspace.get(workspaceId) ?? [])];
    return take(ids.map((id) => this.get(id)!).sort(byEnd), limit);
  }

  count(): number {
    let n = 0;
    for (const ids of this.byWorkspace.values()) n += ids.size;
    return n;
  }

  /** The port's grant queries on this index, records copied out as everywhere in the memory store. */
  queries(): GrantQueries<T> {
    return {
      listGrantsDue: async (now, limit) => this.due(now, limit).map(copy),
      listGrants: async (workspaceId, limit) => this.inWorkspace(workspaceId, limit).map(copy),
      countGrants: async () => this.count(),
    };
  }
}

const byEnd = (a: GrantHolder, b: GrantHolder) => a.grant!.until.getTime() - b.grant!.until.getTime();
