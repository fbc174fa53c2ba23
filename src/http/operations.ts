/**
 * The operator's routes, served next to the health checks: GET /metrics (Prometheus text), and
 * Bull Board at /admin/queues when its credentials are configured. A ROLE=worker process serves
 * these (and the health checks) on PORT too, so its job metrics can be scraped.
 */
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisRateLimiter } from '../api/rate-limiter.js';
import type { Log } from '../app/ports.js';
import { logRefusal } from '../app/refusal.js';
import type { Config } from '../config.js';
import type { KeywardenMetrics } from '../metrics/metrics.js';
import { APPLY_QUEUE, MAINTENANCE_QUEUE } from '../queue/names.js';
import { bullBoardRoute } from './bull-board.js';
import { clientAddress } from './client-address.js';
import { bearerAuthorized } from './bearer.js';
import { createHttpServer, type Route } from './server.js';

/**
 * GET /metrics. With a token (METRICS_TOKEN) only `Authorization: Bearer <token>` is answered,
 * compared in constant time; anything else is a 401 that says nothing about the metrics.
 */
export function metricsRoute(metrics: KeywardenMetrics, opts: { token?: string; log?: Log } = {}): Route {
  return {
    method: 'GET',
    path: '/metrics',
    handler: async (req, res) => {
      if (opts.token !== undefined && !bearerAuthorized(req.headers.authorization, opts.token)) {
        if (opts.log) logRefusal(opts.log, { refusal: 'AUTH.METRICS_TOKEN', who: { address: clientAddress(req) }, what: { path: '/metrics' } });
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="Keywarden metrics"', 'content-type': 'text/plain; charset=utf-8' });
        res.end('Authentication required.');
        return;
      }
      const { contentType, body } = await metrics.expose();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}

/**
 * /metrics, and Bull Board over this process's own handles of the queues (closed by the returned
 * `close`). Without BULL_BOARD_USERNAME/PASSWORD there is no /admin/queues at all (404).
 */
export async function operationsRoutes(o: {
  config: Pick<Config, 'BULL_BOARD_USERNAME' | 'BULL_BOARD_PASSWORD' | 'METRICS_TOKEN'>; metrics: KeywardenMetrics; connection: Redis; prefix: string; log: Log;
}): Promise<{ routes: Route[]; close(): Promise<void> }> {
  const routes = [metricsRoute(o.metrics, { token: o.config.METRICS_TOKEN, log: o.log })];
  const { BULL_BOARD_USERNAME: username, BULL_BOARD_PASSWORD: password } = o.config;
  if (!username || !password) return { routes, close: async () => {} };
  const queues = [APPLY_QUEUE, MAINTENANCE_QUEUE].map((name) => new Queue(name, { connection: o.connection, prefix: o.prefix }));
  const failures = new RedisRateLimiter(o.connection, o.prefix, o.log);
  routes.push(await bullBoardRoute({ queues, credentials: { username, password }, log: o.log, failures }));
  o.log.info({ path: '/admin/queues' }, 'Bull Board is on');
  return { routes, close: async () => void (await Promise.all(queues.map((q) => q.close()))) };
}

/** A small server for a process that has no web role: health checks and the operator's routes. */
export async function listenForOperations(
  port: number, routes: Route[], log: Log, opts: { trustedProxies?: number } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer(routes, log, opts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
