/**
 * A store that misbehaves on purpose: wraps any Store so that a test decides, call by call, whether
 * a repository method works, throws as a network error would, is slow, or never answers at all
 * (the process "died" inside that call: nothing after it runs).
 *
 *   const f = faultyStore(createMemoryStore());
 *   f.rule = (call) => (call.repo === 'requests' && call.method === 'insert' ? { fail: true } : undefined);
 *   ... f.calls  // every call made, in order
 */
import type { Store } from '../../src/app/ports.js';

export interface StoreCall {
  repo: string;
  method: string;
  /** 1-based index among all calls since the last reset(). */
  n: number;
  args: unknown[];
}

/** `until`: the call waits for the promise, then runs (a process stopped there, and let go when the test is done). */
export type Fault = { fail: true; error?: Error } | { hang: true } | { delayMs: number } | { until: Promise<void> } | undefined;

/** What a MongoDB driver throws when the server is gone (the app recognises it by name). */
export class FakeMongoNetworkError extends Error {
  override name = 'MongoNetworkError';
  constructor(message = 'connection 1 to 127.0.0.1:27017 closed') {
    super(message);
  }
}

const REPOS = ['workspaces', 'users', 'permissions', 'requests', 'history', 'technicalUsers', 'tokenReveals', 'signingKeys', 'ownership', 'accessReviews'] as const;

export interface FaultyStore {
  store: Store;
  calls: StoreCall[];
  rule: (call: StoreCall) => Fault;
  reset(): void;
  /** Calls to one method, e.g. count('technicalUsers', 'findByTokenHash'). */
  count(repo: string, method: string): number;
}

export function faultyStore(inner: Store): FaultyStore {
  const f: FaultyStore = {
    store: inner,
    calls: [],
    rule: () => undefined,
    reset() {
      f.calls.length = 0;
      f.rule = () => undefined;
    },
    count: (repo, method) => f.calls.filter((c) => c.repo === repo && c.method === method).length,
  };
  const wrapped: Record<string, unknown> = { ...inner };
  for (const repo of REPOS) wrapped[repo] = misbehaving(inner[repo], repo, f);
  // Methods of the store itself (ping, init, close) keep working and keep their `this`.
  for (const m of ['init', 'ping', 'close'] as const) wrapped[m] = () => inner[m]();
  f.store = wrapped as unknown as Store;
  return f;
}

/**
 * Any object whose methods are async (a repository, a Notifier), with its calls counted and
 * faulted by `f` under the name `repo`: a store and a notifier can share one sequence of calls.
 */
export function misbehaving<T extends object>(target: T, repo: string, f: FaultyStore): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return async (...args: unknown[]) => {
        const call = { repo, method: prop, n: f.calls.length + 1, args };
        f.calls.push(call);
        const fault = f.rule(call);
        if (fault && 'hang' in fault) return new Promise(() => {});
        if (fault && 'fail' in fault) throw fault.error ?? new FakeMongoNetworkError();
        if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
        if (fault && 'until' in fault) await fault.until;
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}
