/**
 * Bull Board (the BullMQ dashboard) at /admin/queues, mounted inside our node:http router. It is
 * only built when BULL_BOARD_USERNAME and BULL_BOARD_PASSWORD are set, and every request to it
 * must carry them (HTTP Basic, compared in constant time). Its Express adapter uses Express 5,
 * the same copy Bolt already brings. Jobs hold request ids only, so the board shows no secret;
 * retrying a job is safe because applying a request is idempotent.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from 'bullmq';
import type { RateLimit, RateLimiter } from '../api/rate-limiter.js';
import type { Log } from '../app/ports.js';
import { logRefusal } from '../app/refusal.js';
import { sendJson } from './http-util.js';
import type { Route } from './server.js';
import { clientAddress } from './client-address.js';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Failed logins allowed per client address before /admin/queues answers 429 to that address,
 * right credentials included, until the window ends. Counted in Redis, so every process shares
 * the count; a browser that has the right password sends it with every request and never fails.
 */
export const BULL_BOARD_FAILED_LOGINS: RateLimit = { limit: 10, windowMs: 15 * 60_000 };

export interface BasicCredentials {
  username: string;
  password: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * True when the Authorization header carries exactly these credentials. Both parts are always
 * compared, as equal-length digests, so the time taken says nothing about what was wrong.
 */
export function basicAuthorized(header: string | undefined, expected: BasicCredentials): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header ?? '');
  const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const colon = given.indexOf(':');
  const user = colon >= 0 ? given.slice(0, colon) : '';
  const pass = colon >= 0 ? given.slice(colon + 1) : '';
  const userOk = timingSafeEqual(digest(user), digest(expected.username));
  const passOk = timingSafeEqual(digest(pass), digest(expected.password));
  return m !== null && colon >= 0 && userOk && passOk;
}

/** The /admin/queues route (any method): credentials first, then Bull Board's Express app. */
export async function bullBoardRoute(opts: {
  queues: Queue[]; credentials: BasicCredentials; log: Log; failures: Pick<RateLimiter, 'hit' | 'peek'>;
}): Promise<Route> {
  // Loaded only when the board is on: processes without it never load Express for it.
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'), import('@bull-board/api/bullMQAdapter'), import('@bull-board/express'),
  ]);
  const adapter = new ExpressAdapter();
  adapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: opts.queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  const board = adapter.getRouter() as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  return {
    method: '*',
    path: new RegExp(`^${BULL_BOARD_PATH}(/|$)`),
    handler: async (req, res) => {
      const address = clientAddress(req);
      const key = `bull-board-failed:${address}`;
      const what = { path: BULL_BOARD_PATH, method: req.method };
      const locked = await opts.failures.peek(key, BULL_BOARD_FAILED_LOGINS);
      if (!locked.allowed) {
        logRefusal(opts.log, { refusal: 'AUTH.ADMIN_LOCKED_OUT', who: { address }, what });
        res.writeHead(429, { 'retry-after': String(locked.retryAfterSeconds), 'content-type': 'text/plain; charset=utf-8' });
        res.end('Too many failed logins from this address; try again later.');
        return;
      }
      if (!basicAuthorized(req.headers.authorization, opts.credentials)) {
        // A request with no credentials at all is a browser asking for the login prompt, not a guess.
        if (req.headers.authorization !== undefined) await opts.failures.hit(key, BULL_BOARD_FAILED_LOGINS);
        logRefusal(opts.log, { refusal: 'AUTH.ADMIN_CREDENTIALS', who: { address }, what });
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Keywarden queues", charset="UTF-8"', 'content-type': 'text/plain; charset=utf-8' });
        res.end('Authentication required.');
        return;
      }
      // Express sees the path below the mount point, as app.use('/admin/queues', board) would give it.
      const rest = (req.url ?? '/').slice(BULL_BOARD_PATH.length);
      req.url = rest.startsWith('/') ? rest : `/${rest}`;
      board(req, res, (err?: unknown) => {
        if (err) opts.log.error({ err }, 'Bull Board failed');
        sendJson(res, err ? 500 : 404, { status: 'ERROR', errors: [{ message: err ? 'internal error' : 'not found' }] });
      });
    },
  };
}
