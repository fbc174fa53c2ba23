/**
 * Expiry scan: one ExpiryService.scanTokens() over 10,000, 100,000 and 1,000,000 technical users,
 * 100 of them near expiry, in a Keywarden process of its own (so a million records do not sit in
 * the server whose RSS we report). The store grows between scans; each round adds 100 new tokens
 * near expiry (the previous round's have been warned and are not due again for days). Untimed
 * rounds over 1,000 tokens first warm the code up, so the 10,000 scan is not the JIT's first run.
 *
 * A scan takes a few hundred ms, so one burst of noise from another process can double it: each
 * size is scanned three times (at N, N+100 and N+200 tokens, 100 due each time) and the median
 * is the figure; the three are shown too.
 */
import { WS_ID } from '../fixture.js';
import type { BenchServer } from '../servers.js';

export interface ScanResult {
  /** Median scan time (ms) by size; `runs` holds the three scans behind each median. */
  ms: Record<string, number>;
  runs: Record<string, number[]>;
  insertMs: Record<string, number>;
  rssMb: number | null;
}

const SCANS_PER_SIZE = 3;
const WARMUP_ROUNDS = 5;

const DUE = 100;

export async function runScan(sizes: number[], server: BenchServer): Promise<ScanResult> {
  const { child } = server;
  try {
    const round = async (size: number) => {
      const r = await child.call<{ ms: number; posted: number; insertMs: number }>('scan', { size, due: DUE, workspaceId: WS_ID }, 600_000);
      if (r.posted !== DUE) throw new Error(`the scan over ${size} posted ${r.posted} warnings, not ${DUE}`);
      return r;
    };
    // Warm-up: enough warnings posted that the path runs optimized code before the first timed scan.
    for (let i = 0; i < WARMUP_ROUNDS; i++) await round(1_000 + i * DUE);
    const ms: Record<string, number> = {};
    const runs: Record<string, number[]> = {};
    const insertMs: Record<string, number> = {};
    for (const size of sizes) {
      runs[size] = [];
      for (let i = 0; i < SCANS_PER_SIZE; i++) {
        const r = await round(size + i * DUE);
        runs[size].push(r.ms);
        if (i === 0) insertMs[size] = r.insertMs;
      }
      ms[size] = [...runs[size]].sort((a, b) => a - b)[Math.floor(SCANS_PER_SIZE / 2)]!;
    }
    return { ms, runs, insertMs, rssMb: child.peakRssMb() };
  } finally {
    await child.stop();
  }
}
