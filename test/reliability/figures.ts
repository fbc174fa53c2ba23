/**
 * What the reliability tests measured, for docs/reliability.md: each test records its figures as
 * JSON under KEYWARDEN_FIGURES_DIR (default: <tmp>/keywarden-figures) and prints one line.
 * KEYWARDEN_FULL_TESTS=1 selects the full sizes of the load and property tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FULL = process.env.KEYWARDEN_FULL_TESTS === '1';

/** `quick` in a default run, `full` with KEYWARDEN_FULL_TESTS=1. */
export const size = (quick: number, full: number): number => (FULL ? full : quick);

export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.KEYWARDEN_FIGURES_DIR ?? join(tmpdir(), 'keywarden-figures');
  mkdirSync(dir, { recursive: true });
  const record = { name, mode: FULL ? 'full' : 'quick', at: new Date().toISOString(), ...figures };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  console.log(`[figures] ${name}: ${JSON.stringify(figures)}`);
}

/** Percentiles of a list of numbers (ms), rounded to 0.1. */
export function percentiles(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0) * 10) / 10;
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: Math.round((s.at(-1) ?? 0) * 10) / 10 };
}
