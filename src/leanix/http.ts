/**
 * One LeanIX connection's HTTP: the access token, timeouts, retries, and what each status means.
 *
 * - Access token: `POST {baseUrl}/services/mtm/v1/oauth2/token`, Basic `apitoken:<API token>`,
 *   `grant_type=client_credentials`; kept until shortly before `expires_in` runs out, shared by
 *   every call of the process, one refresh in flight at a time.
 * - 401 on a call: one new access token and one retry. A second 401 (or the token endpoint
 *   refusing the API token): the connection is unauthorised, and every call fails at once with
 *   that reason until `recheck()` finds the token works again.
 * - 429 waits out Retry-After; 5xx, timeouts and broken connections retry with a bounded backoff.
 *   A call that is not safe to repeat (a create) is retried only when it surely never arrived.
 * - Every call has a timeout (AbortSignal).
 *
 * The API token lives in one private field. It is never logged, never put in an error, and never
 * leaves this file except inside the Authorization header of the token request.
 */
import type { Clock, Log } from '../app/ports.js';
import { systemClock } from '../app/ports.js';
import { ConnectionState } from './connection-state.js';
import { LeanixCodes, LeanixError } from './errors.js';
import { AccessTokenAnswer, envelopeMessages } from './schemas.js';

export const TOKEN_PATH = '/services/mtm/v1/oauth2/token';

/** Seen once per HTTP exchange with LeanIX (metrics hang here; the token request is op `token`). */
export interface LeanixCallObserver {
  call(e: { op: string; method: string; status: number | 'timeout' | 'error'; seconds: number }): void;
}

export interface LeanixHttpOptions {
  baseUrl: string;
  apiToken: string;
  clock?: Clock;
  log?: Log;
  fetch?: typeof fetch;
  /** How the client waits between tries (tests pass one that moves their clock instead of sleeping). */
  sleep?: (ms: number) => Promise<void>;
  state?: ConnectionState;
  observer?: LeanixCallObserver;
  /** Per HTTP exchange, headers and body (default 10 s). */
  timeoutMs?: number;
  /** Further tries after the first for 5xx, timeouts, broken connections and 429 (default 3). */
  retries?: number;
  /** First backoff; doubled each try, with jitter, up to maxBackoffMs (defaults 250 ms and 5 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A Retry-After longer than this is not waited out: the call fails as unavailable (default 60 s). */
  maxRetryAfterMs?: number;
  /** The access token is renewed this long before it expires (default 60 s). */
  refreshMarginSeconds?: number;
}

export interface LeanixRequest {
  /** A short name of the call for metrics and errors, e.g. `permissions.list`. */
  op: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** `unsent-only`: repeat only when the request surely never reached LeanIX (a create). */
  retry?: 'always' | 'unsent-only';
}

interface CachedToken { value: string; refreshAt: number }

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LeanixHttp {
  readonly state: ConnectionState;
  readonly baseUrl: string;
  readonly #apiToken: string;
  private readonly clock: Clock;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly o: Required<Pick<LeanixHttpOptions, 'timeoutMs' | 'retries' | 'backoffMs' | 'maxBackoffMs' | 'maxRetryAfterMs' | 'refreshMarginSeconds'>>;
  private readonly log: Log | undefined;
  private readonly observer: LeanixCallObserver | undefined;
  private cached: CachedToken | null = null;
  private refreshing: Promise<string> | null = null;

  constructor(opts: LeanixHttpOptions) {
    if (!opts.apiToken) throw new Error('LeanixHttp needs an API token');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#apiToken = opts.apiToken;
    this.clock = opts.clock ?? systemClock;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.sleep = opts.sleep ?? sleepReal;
    this.state = opts.state ?? new ConnectionState();
    this.log = opts.log;
    this.observer = opts.observer;
    const { timeoutMs, retries, backoffMs, maxBackoffMs, maxRetryAfterMs, refreshMarginSeconds } = opts;
    this.o = {
      timeoutMs: 10_000, retries: 3, backoffMs: 250, maxBackoffMs: 5_000, maxRetryAfterMs: 60_000, refreshMarginSeconds: 60,
      ...definedOnly({ timeoutMs, retries, backoffMs, maxBackoffMs, maxRetryAfterMs, refreshMarginSeconds }),
    };
    if (this.o.timeoutMs <= 0 || this.o.retries < 0 || this.o.backoffMs < 0) throw new Error('LeanixHttp: timeoutMs must be > 0, retries and backoffMs >= 0');
  }

  /** Sends one call; the parsed JSON body of a 2xx answer (null when it has none). */
  async request(req: LeanixRequest): Promise<unknown> {
    this.assertAuthorised();
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const outcome = await this.exchange(req.op, req.method, this.url(req.path, req.query), {
        authorization: `Bearer ${token}`,
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
      }, req.body === undefined ? undefined : JSON.stringify(req.body));
      const what = `${req.method} ${req.path}`;
      if (outcome.kind === 'failed') {
        if (attempt < this.o.retries && (req.retry !== 'unsent-only' || outcome.unsent)) {
          await this.backoff(attempt, what, outcome.why);
          continue;
        }
        throw new LeanixError(LeanixCodes.UNAVAILABLE, `LeanIX did not answer ${what}: ${outcome.why}.`);
      }
      const { status, body, retryAfter } = outcome;
      if (status >= 200 && status < 300) return body;
      if (status === 401) {
        if (!renewed) {
          renewed = true;
          this.forget(token);
          attempt--; // the renewal's retry is not one of the outage retries
          continue;
        }
        throw this.unauthorised(`LeanIX refused a new access token on ${what} (401 twice)`);
      }
      if (status === 429) {
        if (attempt < this.o.retries) {
          await this.waitRetryAfter(retryAfter, attempt, what);
          continue;
        }
        throw new LeanixError(LeanixCodes.UNAVAILABLE, `LeanIX kept answering ${what} with 429 (too many requests).`, status);
      }
      if (status >= 500) {
        if (attempt < this.o.retries && req.retry !== 'unsent-only') {
          await this.backoff(attempt, what, `HTTP ${status}`);
          continue;
        }
        throw new LeanixError(LeanixCodes.UNAVAILABLE, `LeanIX answered ${what} with ${status}.`, status, envelopeMessages(body));
      }
      throw refusal(status, what, envelopeMessages(body));
    }
  }

  /** Tries the API token once more; back to connected when LeanIX takes it. Returns the state after. */
  async recheck(): Promise<boolean> {
    if (!this.state.unauthorised) return true;
    this.cached = null;
    try {
      await this.fetchToken(true);
      this.state.markConnected();
      return true;
    } catch {
      return false;
    }
  }

  private assertAuthorised(): void {
    const h = this.state.current;
    if (h.state === 'unauthorised') throw new LeanixError(LeanixCodes.UNAUTHORISED, h.reason, 401);
  }

  private unauthorised(why: string): LeanixError {
    this.cached = null;
    const reason = `${why}: the API token was replaced or deleted in LeanIX.`;
    this.state.markUnauthorised(this.clock.now(), reason);
    return new LeanixError(LeanixCodes.UNAUTHORISED, this.state.current.state === 'unauthorised' ? this.state.current.reason : reason, 401);
  }

  private forget(token: string): void {
    if (this.cached?.value === token) this.cached = null;
  }

  /** The cached access token, or one new one shared by every caller waiting for it. */
  private async accessToken(): Promise<string> {
    const c = this.cached;
    if (c && this.clock.now().getTime() < c.refreshAt) return c.value;
    this.refreshing ??= this.fetchToken().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  private async fetchToken(rechecking = false): Promise<string> {
    const basic = Buffer.from(`apitoken:${this.#apiToken}`).toString('base64');
    for (let attempt = 0; ; attempt++) {
      if (!rechecking) this.assertAuthorised();
      const outcome = await this.exchange('token', 'POST', `${this.baseUrl}${TOKEN_PATH}`, {
        authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded',
      }, 'grant_type=client_credentials');
      const what = `POST ${TOKEN_PATH}`;
      if (outcome.kind === 'failed') {
        if (attempt < this.o.retries) { await this.backoff(attempt, what, outcome.why); continue; }
        throw new LeanixError(LeanixCodes.UNAVAILABLE, `LeanIX did not answer ${what}: ${outcome.why}.`);
      }
      const { status, body, retryAfter } = outcome;
      if (status === 401 || status === 400 || status === 403) throw this.unauthorised(`LeanIX refused the API token (${status} on ${what})`);
      if (status === 429 && attempt < this.o.retries) { await this.waitRetryAfter(retryAfter, attempt, what); continue; }
      if (status >= 500 && attempt < this.o.retries) { await this.backoff(attempt, what, `HTTP ${status}`); continue; }
      if (status < 200 || status >= 300) throw new LeanixError(LeanixCodes.UNAVAILABLE, `LeanIX answered ${what} with ${status}.`, status);
      const parsed = AccessTokenAnswer.safeParse(body);
      if (!parsed.success) throw new LeanixError(LeanixCodes.BAD_ANSWER, `LeanIX's answer to ${what} has no access_token and expires_in.`, status);
      const lifetime = parsed.data.expires_in;
      // Renewed a margin before expiry, or at half its life when it lives shorter than twice the margin.
      const keepSeconds = lifetime > 2 * this.o.refreshMarginSeconds ? lifetime - this.o.refreshMarginSeconds : lifetime / 2;
      this.cached = { value: parsed.data.access_token, refreshAt: this.clock.now().getTime() + keepSeconds * 1000 };
      return parsed.data.access_token;
    }
  }

  private async exchange(op: string, method: string, url: string, headers: Record<string, string>, body: string | undefined): Promise<
    | { kind: 'answered'; status: number; body: unknown; retryAfter: string | null }
    | { kind: 'failed'; why: string; unsent: boolean }
  > {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    try {
      const res = await this.fetch(url, { method, headers: { accept: 'application/json', ...headers }, body, signal, redirect: 'error' });
      const text = await res.text();
      this.observer?.call({ op, method, status: res.status, seconds: seconds() });
      let json: unknown = null;
      if (text.trim() !== '') {
        try { json = JSON.parse(text); } catch {
          if (res.ok) throw new LeanixError(LeanixCodes.BAD_ANSWER, `LeanIX's answer to ${method} ${new URL(url).pathname} is not JSON.`, res.status);
        }
      }
      return { kind: 'answered', status: res.status, body: json, retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      if (err instanceof LeanixError) throw err;
      const timedOut = signal.aborted;
      this.observer?.call({ op, method, status: timedOut ? 'timeout' : 'error', seconds: seconds() });
      const code = causeCode(err);
      // Refused or unresolved: the request never left; anything else may have reached LeanIX.
      const unsent = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
      return { kind: 'failed', why: timedOut ? `no answer within ${this.o.timeoutMs} ms` : (code ?? 'connection failed'), unsent };
    }
  }

  private async backoff(attempt: number, what: string, why: string): Promise<void> {
    const full = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** attempt);
    const ms = Math.round(full / 2 + Math.random() * (full / 2));
    this.log?.warn({ call: what, why, attempt: attempt + 1, waitMs: ms }, 'LeanIX call failed; trying again');
    await this.sleep(ms);
  }

  private async waitRetryAfter(header: string | null, attempt: number, what: string): Promise<void> {
    const ms = retryAfterMs(header, this.clock.now());
    if (ms === null) return this.backoff(attempt, what, 'HTTP 429');
    if (ms > this.o.maxRetryAfterMs) {
      throw new LeanixError(LeanixCodes.UNAVAILABLE, `LeanIX asks to wait ${Math.ceil(ms / 1000)} s before ${what} (429); trying later.`, 429);
    }
    this.log?.warn({ call: what, waitMs: ms }, 'LeanIX rate limit; waiting out Retry-After');
    await this.sleep(ms);
  }

  private url(path: string, query: LeanixRequest['query']): string {
    const u = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 10.2.3); null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null || header.trim() === '') return null;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

function refusal(status: number, what: string, messages: string[]): LeanixError {
  const said = messages.length ? `: ${messages.join('; ')}` : '';
  if (status === 403) return new LeanixError(LeanixCodes.FORBIDDEN, `LeanIX does not allow ${what} with Keywarden's API token${said}.`, status, messages);
  if (status === 404) return new LeanixError(LeanixCodes.NOT_FOUND, `LeanIX has no such object (${what})${said}.`, status, messages);
  return new LeanixError(LeanixCodes.REFUSED, `LeanIX refused ${what} (${status})${said}.`, status, messages);
}

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
