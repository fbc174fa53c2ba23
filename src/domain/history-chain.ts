/**
 * Tamper evidence for history: each workspace's lines form a hash chain. A line's `hash` is the
 * SHA-256 of its content and its `prevHash` (the hash of the line before it in its workspace), so
 * changing, removing or reordering a stored line breaks a link that anyone can recompute.
 *
 * `seq` numbers a workspace's lines 1, 2, 3 ... and is unique per workspace: the store appends a
 * line only if its seq is still free (one conditional write), so two concurrent appends can never
 * both follow the same line (no fork). `seq` itself is not hashed: the links prove the order, and
 * a line moved to another seq is then reported as reordered rather than merely changed.
 *
 * What the chain does not prove: that nothing was appended by someone with write access to the
 * store who recomputed every later hash, or that lines after the last one an auditor saw were not
 * cut off. Keeping a head (seq and hash) from an earlier read, and comparing, covers both.
 */
import { createHash } from 'node:crypto';
import type { HistoryEntry } from './history.js';

/** What a stored line carries besides its entry. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

export type ChainedEntry = HistoryEntry & ChainLink;

/** The last line of a workspace's chain, as far as appending and anchoring need it. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** The prevHash of a workspace's first line: bound to the workspace, so a chain cannot be moved to another. */
export const genesisHash = (workspaceId: string): string => sha256(`keywarden/history/v1\n${workspaceId}`);

/** The hash of a line: its content (not its chain fields) and the hash it follows. */
export function lineHash(entry: HistoryEntry, prevHash: string): string {
  const { seq: _s, prevHash: _p, hash: _h, ...content } = entry as Partial<ChainLink> & HistoryEntry;
  return sha256(canonicalJson({ content, prevHash }));
}

/** The entry as the next line after `head` (null: the workspace's first line). */
export function chainAfter(entry: HistoryEntry, head: ChainHead | null): ChainedEntry {
  const prevHash = head ? head.hash : genesisHash(entry.workspaceId);
  return { ...entry, seq: head ? head.seq + 1 : 1, prevHash, hash: lineHash(entry, prevHash) };
}

export type ChainProblemKind = 'changed' | 'removed' | 'reordered' | 'broken';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The seq of the line the problem was found at (for `removed`, the first missing seq). */
  seq: number;
  /** The id of that line, when there is one. */
  id: string | null;
  message: string;
}

export interface ChainReport {
  workspaceId: string;
  whole: boolean;
  lines: number;
  /** The last line seen: an anchor an auditor keeps to compare with a later read. */
  head: ChainHead | null;
  problems: ChainProblem[];
}

/** Stops collecting after this many problems: one broken chain is enough to act on. */
const MAX_PROBLEMS = 100;

/**
 * Checks a workspace's chain, fed its lines in seq order (as many pages as it takes). Memory
 * grows by one short entry per line (a hash and a seq), so a reordered line can be named wherever
 * its true predecessor sits.
 */
export class ChainVerifier {
  private readonly seqByHash = new Map<string, number>();
  private readonly problems: ChainProblem[] = [];
  private prev: { seq: number; id: string; hash: string; intact: boolean } | null = null;
  private lines = 0;
  /** Links that pointed at no earlier line; judged at the end, when every hash is known. */
  private readonly dangling: Array<{ line: ChainedEntry; expected: number }> = [];

  constructor(
    private readonly workspaceId: string,
    private readonly anchor: ChainHead | null = null,
  ) {}

  add(line: ChainedEntry): void {
    this.lines++;
    const computed = lineHash(line, line.prevHash);
    const intact = computed === line.hash;
    if (!intact) this.note('changed', line.seq, line.id, `line ${line.seq} (${line.id}) was changed after it was written: its content no longer matches its hash`);
    const unknown = unknownKeys(line);
    if (unknown.length) {
      this.note('changed', line.seq, line.id, `line ${line.seq} (${line.id}) holds fields no history line is written with: ${unknown.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}`);
    }
    if (line.workspaceId !== this.workspaceId) {
      this.note('changed', line.seq, line.id, `line ${line.seq} (${line.id}) names another workspace`);
    }
    const expectedSeq = this.prev ? this.prev.seq + 1 : 1;
    const expectedPrev = this.prev ? this.prev.hash : genesisHash(this.workspaceId);
    if (line.seq > expectedSeq) {
      const gap = line.seq - 1 === expectedSeq ? `line ${expectedSeq} is` : `lines ${expectedSeq} to ${line.seq - 1} are`;
      this.note('removed', expectedSeq, null, `${gap} missing (removed) before line ${line.seq} (${line.id})`);
    } else if (line.prevHash !== expectedPrev) {
      this.dangling.push({ line, expected: expectedSeq });
    }
    if (this.prev && line.seq <= this.prev.seq) {
      this.note('reordered', line.seq, line.id, `line ${line.seq} (${line.id}) repeats or goes back from line ${this.prev.seq}`);
    }
    // Judged by the stored hash: that is what the next line's prevHash was made from.
    this.seqByHash.set(line.hash, line.seq);
    this.prev = { seq: line.seq, id: line.id, hash: line.hash, intact };
  }

  result(): ChainReport {
    for (const { line, expected } of this.dangling) {
      const target = this.seqByHash.get(line.prevHash);
      if (target !== undefined) {
        this.note('reordered', line.seq, line.id, `line ${line.seq} (${line.id}) was written after line ${target}, not after line ${expected - 1}: lines were reordered`);
      } else if (line.seq === 1 || line.prevHash === genesisHash(this.workspaceId)) {
        this.note('broken', line.seq, line.id, `line ${line.seq} (${line.id}) does not follow the start of the chain`);
      } else {
        this.note('broken', line.seq, line.id, `line ${line.seq} (${line.id}) does not follow line ${expected - 1}: a line between them was removed, or line ${expected - 1} was changed and its hash rewritten`);
      }
    }
    const head = this.prev ? { seq: this.prev.seq, hash: this.prev.hash } : null;
    if (this.anchor) this.checkAnchor(this.anchor, head);
    this.problems.sort((a, b) => a.seq - b.seq);
    return { workspaceId: this.workspaceId, whole: this.problems.length === 0, lines: this.lines, head, problems: this.problems };
  }

  /** An earlier head must still be in the chain, with the same hash: otherwise lines were cut off or rewritten. */
  private checkAnchor(anchor: ChainHead, head: ChainHead | null) {
    if (!head || head.seq < anchor.seq) {
      this.note('removed', head ? head.seq + 1 : 1, null, `the chain ends at line ${head?.seq ?? 0}, but line ${anchor.seq} was seen before: lines were removed from the end`);
      return;
    }
    if (this.seqByHash.get(anchor.hash) !== anchor.seq) {
      this.note('changed', anchor.seq, null, `line ${anchor.seq} no longer has the hash seen before (${anchor.hash.slice(0, 12)}…): the chain was rewritten`);
    }
  }

  private note(kind: ChainProblemKind, seq: number, id: string | null, message: string) {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ kind, seq, id, message });
  }
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * JSON with object keys sorted at every depth, Dates as ISO strings and undefined left out: the
 * same line gives the same text whichever store it came back from and in whatever key order.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(normalize(v));
}

function normalize(v: unknown): unknown {
  if (v instanceof Date) {
    // The stores refuse such a line too (TypeError), rather than hashing something unreadable.
    if (Number.isNaN(v.getTime())) throw new TypeError('an invalid Date cannot be stored');
    return v.toISOString();
  }
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : normalize(x)));
  if (v === null || typeof v !== 'object') return v;
  // Without a prototype, every own key (also "__proto__", which a stored line parsed from JSON or
  // BSON can hold) stays a key: assigned to a plain object it would set the prototype instead,
  // and JSON.stringify would leave it out of the hash while the API still served it.
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = normalize(x);
  }
  return out;
}

/** The fields a history line is written with (history.ts), its chain fields, and those of its parts. */
const LINE_KEYS = new Set(['id', 'workspaceId', 'subject', 'action', 'actor', 'requestId', 'approvers', 'before', 'after', 'reason', 'at', 'seq', 'prevHash', 'hash']);
const PART_KEYS: Record<string, Set<string>> = { subject: new Set(['type', 'id', 'label']), actor: new Set(['type', 'id', 'name']) };
/** Keys no line is ever written with at any depth: each names a prototype in JavaScript. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys of a stored line that Keywarden never writes, as `path` strings ("subject.extra", "after.__proto__"). */
export function unknownKeys(line: object): string[] {
  const found: string[] = [];
  for (const k of Object.keys(line)) if (!LINE_KEYS.has(k)) found.push(k);
  for (const [part, known] of Object.entries(PART_KEYS)) {
    const v = (line as Record<string, unknown>)[part];
    if (v && typeof v === 'object') for (const k of Object.keys(v)) if (!known.has(k)) found.push(`${part}.${k}`);
  }
  const walk = (v: unknown, path: string) => {
    if (v === null || typeof v !== 'object' || v instanceof Date) return;
    for (const k of Object.keys(v)) {
      const here = path ? `${path}.${k}` : k;
      if (PROTOTYPE_KEYS.has(k) && !found.includes(here)) found.push(here);
      walk((v as Record<string, unknown>)[k], here);
    }
  };
  walk(line, '');
  return found;
}
