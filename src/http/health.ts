import type { Redis } from 'ioredis';
import type { Store } from '../app/ports.js';
import type { Route } from './server.js';
import { sendJson } from './http-util.js';

/** /healthz: the process is up. /readyz: it can reach its store and Redis. */
export function healthRoutes(deps: { store: Store; redis: Redis }): Route[] {
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
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', store, redis });
      },
    },
  ];
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}
