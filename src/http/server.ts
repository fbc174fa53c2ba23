/**
 * One node:http server for everything: Slack's requests, the HTTP API and health checks.
 * Routes are exact paths or patterns; an unknown path is a 404, a thrown error a logged 500
 * with no details (handlers are expected to answer their own errors).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Log } from '../app/ports.js';
import { rememberClientAddress } from './client-address.js';
import { sendJson } from './http-util.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL) => Promise<void> | void;

export interface Route {
  /** '*' hands every method to the handler (a mounted app such as Bull Board answers them itself). */
  method: 'GET' | 'POST' | '*';
  path: string | RegExp;
  handler: Handler;
}

export function createHttpServer(routes: Route[], log: Log, opts: { trustedProxies?: number } = {}): Server {
  const trustedProxies = opts.trustedProxies ?? 0;
  const server = createServer((req, res) => {
    rememberClientAddress(req, trustedProxies);
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathMatched = false;
    for (const route of routes) {
      const m = typeof route.path === 'string' ? (route.path === url.pathname ? [] : null) : route.path.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== '*' && route.method !== req.method) continue;
      const params = (m as RegExpExecArray).groups ?? {};
      Promise.resolve(route.handler(req, res, { ...params }, url)).catch((err: unknown) => {
        log.error({ err, path: url.pathname }, 'unhandled error in an HTTP handler');
        sendJson(res, 500, { status: 'ERROR', errors: [{ message: 'internal error' }] });
      });
      return;
    }
    if (pathMatched) return sendJson(res, 405, { status: 'ERROR', errors: [{ message: `${req.method} is not allowed here` }] });
    sendJson(res, 404, { status: 'ERROR', errors: [{ message: 'not found' }] });
  });
  // Slack and clients keep connections alive; do not let idle sockets hold up a shutdown forever.
  server.keepAliveTimeout = 5000;
  return server;
}
