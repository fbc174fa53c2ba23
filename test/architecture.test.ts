/**
 * The dependency direction, checked rather than hoped for: domain <- app <- edges. The domain
 * imports nothing but itself and node:crypto; the app layer imports no adapter and no framework
 * but zod; nothing but config.ts and main.ts reads process.env.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const imports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);

describe('architecture', () => {
  it('keeps the domain free of frameworks, adapters and the app layer', () => {
    const bad = files(join(root, 'src/domain')).flatMap((f) =>
      imports(f).filter((i) => !i.startsWith('./') && i !== 'node:crypto').map((i) => `${relative(root, f)} -> ${i}`),
    );
    expect(bad).toEqual([]);
  });

  it('keeps the app layer free of adapters and frameworks (zod and node built-ins only)', () => {
    // Relative imports are resolved, so app/ports/*.ts may import ../../domain but nothing may
    // reach outside src/app and src/domain.
    const inside = (f: string, i: string) => {
      const to = relative(root, resolve(dirname(f), i));
      return to.startsWith('src/app/') || to.startsWith('src/domain/');
    };
    const bad = files(join(root, 'src/app')).flatMap((f) =>
      imports(f)
        .filter((i) => !((i.startsWith('.') && inside(f, i)) || i === 'zod' || i.startsWith('node:')))
        .map((i) => `${relative(root, f)} -> ${i}`),
    );
    expect(bad).toEqual([]);
  });

  it('reads process.env only in config.ts and main.ts', () => {
    const bad = [...files(join(root, 'src')), ...files(join(root, 'jobs'))]
      .filter((f) => !/src\/(config|main)\.ts$/.test(f) && /process\.env\b/.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
      .map((f) => relative(root, f));
    expect(bad).toEqual([]);
  });
});
