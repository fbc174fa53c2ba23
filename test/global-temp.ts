/**
 * Vitest globalSetup: the suite's temporary files go to a folder of their own (TMPDIR, which
 * os.tmpdir() and the workers forked after this read), so what a test leaves behind is found even
 * while other suites share the machine's /tmp. At the end, a left `keywarden-test-*` or `kw-*`
 * folder fails the run with its name (tests remove what they make); anything else left is named
 * as a warning; then the whole folder is removed either way.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What our own tests and helpers make, and must remove. */
const OURS = /^(keywarden-test-|kw-)/;

export function setup(): () => void {
  const outer = tmpdir();
  const dir = mkdtempSync(join(outer, 'keywarden-suite-'));
  // Figures are kept on purpose (docs/reliability.md is written from them): where they always were.
  process.env.KEYWARDEN_FIGURES_DIR ??= join(outer, 'keywarden-figures');
  const before = { TMPDIR: process.env.TMPDIR };
  process.env.TMPDIR = dir;
  return () => {
    process.env.TMPDIR = before.TMPDIR;
    const left = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    const others = left.filter((f) => !OURS.test(f));
    if (others.length) console.warn(`[temp] the suite left in its temporary folder (removed now): ${others.join(', ')}`);
    const ours = left.filter((f) => OURS.test(f));
    if (ours.length) {
      // Vitest reports an error thrown here but still exits 0: the exit code is set as well.
      process.exitCode = 1;
      throw new Error(`tests left ${ours.length} temporary folder(s) behind: ${ours.join(', ')}; remove them in afterAll or finally`);
    }
  };
}
