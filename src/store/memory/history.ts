import type { HistoryQuery, HistoryRepository } from '../../app/ports.js';
import type { HistoryEntry } from '../../domain/history.js';
import { chainAfter, type ChainedEntry } from '../../domain/history-chain.js';
import { copy, take } from './copy.js';

/**
 * History with its per-workspace chains. `append` reads the head and pushes the line with no await
 * in between, so on Node's one thread it is the compare-and-set the MongoDB adapter makes with its
 * unique (workspaceId, seq) index.
 */
export class MemoryHistory implements HistoryRepository {
  private readonly byId = new Map<string, ChainedEntry>();
  private readonly byWorkspace = new Map<string, ChainedEntry[]>();
  /** A subject's lines, as MongoDB's subject_at index finds them (an access review reads one per item). */
  private readonly bySubject = new Map<string, ChainedEntry[]>();
  async append(entry: HistoryEntry) {
    if (this.byId.has(entry.id)) return;
    const chain = this.byWorkspace.get(entry.workspaceId) ?? [];
    const last = chain.at(-1);
    const line = chainAfter(copy(entry), last ? { seq: last.seq, hash: last.hash } : null);
    this.byId.set(entry.id, line);
    chain.push(line);
    this.byWorkspace.set(entry.workspaceId, chain);
    const key = `${line.subject.type}:${line.subject.id}`;
    this.bySubject.set(key, [...(this.bySubject.get(key) ?? []), line]);
  }
  async findById(id: string) {
    const e = this.byId.get(id);
    return e ? copy(e) : null;
  }
  async listBySubject(type: string, id: string, limit: number) {
    const entries = [...(this.bySubject.get(`${type}:${id}`) ?? [])]
      .sort((a, b) => b.at.getTime() - a.at.getTime());
    return take(entries, limit).map(copy);
  }
  async listByWorkspace(workspaceId: string, q: HistoryQuery) {
    const chain = typeof workspaceId === 'string' ? (this.byWorkspace.get(workspaceId) ?? []) : [];
    // seq n sits at index n-1 (lines are only ever pushed), so a page starts where it should.
    const from = Number.isSafeInteger(q.afterSeq) ? Math.max(0, q.afterSeq) : 0;
    const out: ChainedEntry[] = [];
    for (let i = from; i < chain.length && out.length < q.limit; i++) {
      const e = chain[i]!;
      if (q.since && e.at < q.since) continue;
      if (q.until && e.at >= q.until) continue;
      if (q.subject !== undefined && e.subject.id !== q.subject && e.subject.label !== q.subject) continue;
      out.push(copy(e));
    }
    return out;
  }
}
