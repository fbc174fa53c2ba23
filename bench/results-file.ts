/**
 * Where a bench run keeps its JSON result. bench/results/latest.json is the committed full run
 * that docs quote, so only a full run replaces it: a `--quick` run (smaller sizes, no `burst`)
 * writes bench/results/quick.json (not committed), and a partial run (`--only=`) writes nothing.
 */
export const FULL_RESULTS = 'bench/results/latest.json';
export const QUICK_RESULTS = 'bench/results/quick.json';

/** The file (relative to the repository) a run with these options writes, or null for none. */
export function resultsFile(o: { quick: boolean; only: readonly string[] | undefined }): string | null {
  if (o.only) return null;
  return o.quick ? QUICK_RESULTS : FULL_RESULTS;
}

/** The line the bench prints about it, under its table. */
export function resultsLine(file: string | null): string {
  if (file === null) return `results: not written (a partial run, --only); ${FULL_RESULTS} keeps the last full run`;
  if (file === QUICK_RESULTS) return `results: ${QUICK_RESULTS} (a quick run; ${FULL_RESULTS} keeps the last full run)`;
  return `results: ${file}`;
}
