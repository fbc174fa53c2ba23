/**
 * The same store, counting every call that writes (insert, update, delete, append, ...), per
 * repository and method: "a sync that finds nothing changed writes nothing" is checked by it.
 */
import type { Store } from '../../src/app/ports.js';

const WRITES = /^(insert|update|delete|append|ensure|upsert|put|retire|claim|release|note|set|remove|record|mark|adopt|transfer)/i;

export interface CountingStore extends Store {
  writes(): number;
  writesBy(): Record<string, number>;
  resetWrites(): void;
}

export function countingStore(store: Store): CountingStore {
  const counts: Record<string, number> = {};
  const wrap = <T extends object>(name: string, repo: T): T =>
    new Proxy(repo, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop, target);
        if (typeof v !== 'function') return v;
        const fn = v.bind(target) as (...a: unknown[]) => unknown;
        if (typeof prop !== 'string' || !WRITES.test(prop)) return fn;
        return (...args: unknown[]) => {
          const key = `${name}.${prop}`;
          counts[key] = (counts[key] ?? 0) + 1;
          return fn(...args);
        };
      },
    });
  const repos = ['workspaces', 'users', 'permissions', 'requests', 'history', 'technicalUsers', 'tokenReveals', 'signingKeys', 'ownership'] as const;
  const wrapped = Object.fromEntries(repos.map((r) => [r, wrap(r, store[r] as object)]));
  return Object.assign(Object.create(null), {
    ...wrapped,
    init: () => store.init(), ping: () => store.ping(), close: () => store.close(), kind: store.kind,
    writes: () => Object.values(counts).reduce((a, b) => a + b, 0),
    writesBy: () => ({ ...counts }),
    resetWrites: () => { for (const k of Object.keys(counts)) delete counts[k]; },
  }) as CountingStore;
}
