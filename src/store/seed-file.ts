import { readFile } from 'node:fs/promises';
import { Seed } from '../app/seed.js';

/** Reads and validates SEED_FILE; the error names the file and the first thing wrong in it. */
export async function readSeedFile(path: string): Promise<Seed> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`SEED_FILE ${path} could not be read as JSON: ${(err as Error).message}`);
  }
  const parsed = Seed.safeParse(json);
  if (!parsed.success) {
    throw new Error(`SEED_FILE ${path}: ${seedIssue(parsed.error.issues[0]!)}`);
  }
  return parsed.data;
}

/** One line naming where the first problem is, as a reader writes it: `workspaces[0].policy.rules[2].approvals: at most 3`. */
export function seedIssue(i: { path: PropertyKey[]; message: string }): string {
  const where = i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`)).join('');
  return `${where || '(top)'}: ${i.message}`;
}
