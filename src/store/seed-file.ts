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
    const i = parsed.error.issues[0]!;
    throw new Error(`SEED_FILE ${path}: ${i.path.join('.') || '(top)'} ${i.message}`);
  }
  return parsed.data;
}
