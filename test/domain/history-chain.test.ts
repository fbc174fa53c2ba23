import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/domain/history.js';
import {
  canonicalJson, chainAfter, ChainVerifier, genesisHash, lineHash, type ChainedEntry, type ChainHead,
} from '../../src/domain/history-chain.js';

const T0 = new Date('2026-03-01T10:00:00Z');
const entry = (i: number, o: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id: `e${i}`, workspaceId: 'ws-1', subject: { type: 'technicalUser', id: 'tu-1', label: 'ci-bot' },
  action: `a${i}`, actor: { type: 'slack', id: 'U1' }, requestId: null, approvers: [], before: null,
  after: { role: 'VIEWER', n: i }, at: new Date(T0.getTime() + i * 1000), ...o,
});

/** Lines 1..n as the store would have appended them. */
function chain(n: number): ChainedEntry[] {
  const out: ChainedEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const last = out.at(-1);
    out.push(chainAfter(entry(i), last ? { seq: last.seq, hash: last.hash } : null));
  }
  return out;
}

const verify = (lines: ChainedEntry[], anchor: ChainHead | null = null) => {
  const v = new ChainVerifier('ws-1', anchor);
  [...lines].sort((a, b) => a.seq - b.seq).forEach((l) => v.add(l));
  return v.result();
};

describe('history chain', () => {
  it('links each line to the one before, starting from the workspace\'s genesis', () => {
    const [a, b] = chain(2);
    expect(a).toMatchObject({ seq: 1, prevHash: genesisHash('ws-1') });
    expect(b).toMatchObject({ seq: 2, prevHash: a!.hash });
    expect(genesisHash('ws-1')).not.toBe(genesisHash('ws-2'));
    expect(a!.hash).toBe(lineHash(a!, a!.prevHash));
  });

  it('hashes the same content the same way whatever the key order, and Dates as instants', () => {
    expect(canonicalJson({ b: 1, a: { d: new Date(0), c: undefined } })).toBe('{"a":{"d":"1970-01-01T00:00:00.000Z"},"b":1}');
    const e = entry(1);
    const reordered = Object.fromEntries(Object.entries(e).reverse()) as unknown as HistoryEntry;
    expect(lineHash(reordered, 'x')).toBe(lineHash(e, 'x'));
    expect(lineHash({ ...e, reason: undefined }, 'x')).toBe(lineHash(e, 'x'));
  });

  it('finds a whole chain whole, and names its head', () => {
    const lines = chain(5);
    expect(verify(lines)).toEqual({ workspaceId: 'ws-1', whole: true, lines: 5, head: { seq: 5, hash: lines[4]!.hash }, problems: [] });
    expect(verify([])).toMatchObject({ whole: true, lines: 0, head: null });
  });

  it('names a line whose content was edited in the store', () => {
    const lines = chain(5);
    lines[2] = { ...lines[2]!, after: { role: 'ADMIN', n: 3 } };
    const r = verify(lines);
    expect(r.whole).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'changed', seq: 3, id: 'e3' })]);
  });

  it('names an edited line whose hash was rewritten too, by the broken link after it', () => {
    const lines = chain(5);
    const forged = { ...lines[2]!, after: { role: 'ADMIN', n: 3 } };
    lines[2] = { ...forged, hash: lineHash(forged, forged.prevHash) };
    expect(verify(lines).problems).toEqual([
      expect.objectContaining({ kind: 'broken', seq: 4, id: 'e4', message: expect.stringContaining('line 3 was changed') }),
    ]);
  });

  it('names a removed line, the first, a middle one, or one removed and renumbered over', () => {
    const lines = chain(5);
    expect(verify(lines.filter((l) => l.seq !== 3)).problems).toEqual([
      expect.objectContaining({ kind: 'removed', seq: 3, id: null, message: 'line 3 is missing (removed) before line 4 (e4)' }),
    ]);
    expect(verify(lines.slice(1)).problems).toEqual([expect.objectContaining({ kind: 'removed', seq: 1 })]);
    const renumbered = lines.filter((l) => l.seq !== 3).map((l) => (l.seq > 3 ? { ...l, seq: l.seq - 1 } : l));
    expect(verify(renumbered).problems).toEqual([
      expect.objectContaining({ kind: 'broken', seq: 3, id: 'e4', message: expect.stringContaining('a line between them was removed') }),
    ]);
  });

  it('names reordered lines: two lines whose places were swapped', () => {
    const lines = chain(5);
    const swapped = lines.map((l) => (l.seq === 2 ? { ...l, seq: 3 } : l.seq === 3 ? { ...l, seq: 2 } : l));
    const r = verify(swapped);
    expect(r.whole).toBe(false);
    expect(r.problems.map((p) => [p.kind, p.seq, p.id])).toEqual([
      ['reordered', 2, 'e3'],
      ['reordered', 3, 'e2'],
      ['reordered', 4, 'e4'],
    ]);
    expect(r.problems[0]!.message).toBe('line 2 (e3) was written after line 3, not after line 1: lines were reordered');
  });

  it('with an anchor kept from an earlier read, notices lines cut off the end or a rewritten chain', () => {
    const lines = chain(5);
    const anchor = { seq: 4, hash: lines[3]!.hash };
    expect(verify(lines, anchor).whole).toBe(true);
    expect(verify(lines.slice(0, 3), anchor).problems).toEqual([expect.objectContaining({ kind: 'removed', seq: 4 })]);
    expect(verify(lines, { seq: 4, hash: 'f'.repeat(64) }).problems).toEqual([expect.objectContaining({ kind: 'changed', seq: 4 })]);
  });

  it('notices a line moved in from another workspace', () => {
    const lines = chain(2);
    const moved = chainAfter(entry(3, { workspaceId: 'ws-2' }), { seq: 2, hash: lines[1]!.hash });
    expect(verify([...lines, moved]).problems).toEqual([expect.objectContaining({ kind: 'changed', seq: 3, message: expect.stringContaining('another workspace') })]);
  });

  it('hashes a "__proto__" key of a stored line like any other key (issue 20, finding 12)', () => {
    const lines = chain(3);
    // A line as the store hands it back after JSON or BSON: "__proto__" is an own key, served by the API.
    const json = JSON.stringify(lines[1]).replace('"after":{', '"after":{"__proto__":{"role":"ADMIN"},');
    const tampered = JSON.parse(json, (k, v) => (k === 'at' ? new Date(v) : v)) as ChainedEntry;
    expect(Object.keys(tampered.after!)).toContain('__proto__');
    expect(lineHash(tampered, tampered.prevHash)).not.toBe(lines[1]!.hash);
    const r = verify([lines[0]!, tampered, lines[2]!]);
    expect(r.whole).toBe(false);
    expect(r.problems.map((p) => [p.kind, p.seq])).toContainEqual(['changed', 2]);
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1},"a":2}'))).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it('flags fields no history line is written with, even when their hash was made with them', () => {
    const top = JSON.parse(JSON.stringify({ ...entry(1), note: 'x' }), (k, v) => (k === 'at' ? new Date(v) : v)) as HistoryEntry;
    const proto = JSON.parse('{"__proto__":{"isAdmin":true}}') as Record<string, unknown>;
    const nested = { ...entry(2), subject: { ...entry(2).subject, extra: 1 }, before: proto } as unknown as HistoryEntry;
    const a = chainAfter(top, null);
    const b = chainAfter(nested, { seq: a.seq, hash: a.hash });
    const r = verify([a, b]);
    expect(r.whole).toBe(false);
    expect(r.problems).toEqual([
      expect.objectContaining({ kind: 'changed', seq: 1, message: expect.stringContaining('"note"') }),
      expect.objectContaining({ kind: 'changed', seq: 2, message: expect.stringMatching(/"subject\.extra", "before\.__proto__"/) }),
    ]);
    expect(verify(chain(3)).whole).toBe(true);
  });
});
