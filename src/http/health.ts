import type { Redis } from 'ioredis';
import type { Store } from '../app/ports.js';
import type { Route } from './server.js';
import { sendJson } from './http-util.js';

/** What /readyz says of each LeanIX connection (leanix/connections.ts). */
export interface LeanixHealthSource {
  readonly size: number;
  health(): Record<string, { state: 'connected' } | { state: 'unauthorised'; since: Date; reason: string }>;
}

/**
 * /healthz: the process is up. /readyz: it can reach its store and Redis; it also names each
 * LeanIX connection's state, but an unauthorised connection does not make it unready: Keywarden
 * itself still works (and restarting it would not fix a token replaced in LeanIX).
 */
export function healthRoutes(deps: { store: Store; redis: Redis; leanix?: LeanixHealthSource }): Route[] {
  return [
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        const check = async (f: () => Promise<unknown>) => {
          try {
            await withTimeout(f(), 2000);
            return 'ok';
          } catch {
            return 'unavailable';
          }
        };
        const [store, redis] = await Promise.all([check(() => deps.store.ping()), check(() => deps.redis.ping())]);
        const ok = store === 'ok' && redis === 'ok';
        const leanix = deps.leanix && deps.leanix.size > 0 ? leanixStates(deps.leanix) : undefined;
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', store, redis, ...(leanix ? { leanix } : {}) });
      },
    },
  ];
}

function leanixStates(source: LeanixHealthSource) {
  return Object.fromEntries(Object.entries(source.health()).map(([name, h]) => [
    name, h.state === 'connected' ? { state: 'connected' } : { state: 'unauthorised', since: h.since.toISOString(), reason: h.reason },
  ]));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}
