/**
 * The Slack Web API client for the messages Keywarden posts on its own (approval messages, DMs
 * to requesters, channel notices, Home tabs; see outbound/): every apply job makes two of these
 * calls, so they are the hot path of the worker. Listeners keep Bolt's own client for what they do (forms, the Home
 * tab, answers to clicks).
 *
 * Why not @slack/web-api's WebClient here: profiled in `npm run bench`, it spent about 170 µs of
 * CPU per call around the HTTP request itself (a request queue, a retry operation and a timeout
 * signal per call, form-encoding the body, serializing it once more for a debug line that is
 * never written), which was a quarter of an apply job. This client posts the arguments as JSON,
 * which Slack accepts for these methods, on the keep-alive connections of http-fetch.ts.
 *
 * It keeps the bounds on how long a misbehaving Slack can hold a caller (a queue job):
 * - each HTTP call times out (10 s);
 * - network errors, timeouts and HTTP 5xx are retried a few times with backoff;
 * - a 429 is waited out as its Retry-After asks, but only when that is short; a longer one fails
 *   the call at once, and the caller's own retry (the queue's backoff) tries later. Keywarden's
 *   own client sets `rateLimitRetries: 0`: a 429 fails the call at once, and the outbound path
 *   (outbound/) queues the message in its lane, which waits out the Retry-After for every caller.
 * Errors carry the library's error codes, so logs read the same whichever client failed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { webApi } from '@slack/bolt';
import type { Log } from '../app/ports.js';
import { httpRequest, type HttpAnswer } from './http-fetch.js';

export interface SlackClientBounds {
  /** One HTTP call's limit, in ms. */
  timeoutMs: number;
  /** Retries of a call that failed on the network, timed out or got an HTTP 5xx. */
  retries: number;
  /** Backoff between those retries: the first wait, in ms (then doubling, up to 5 s). */
  minRetryDelayMs: number;
  /** A 429 whose Retry-After is at most this many seconds is waited out and retried... */
  maxRetryAfterSeconds: number;
  /** ...this many times per call. */
  rateLimitRetries: number;
}

export const SLACK_CLIENT_BOUNDS: SlackClientBounds = {
  timeoutMs: 10_000, retries: 3, minRetryDelayMs: 500, maxRetryAfterSeconds: 30, rateLimitRetries: 2,
};

const MAX_RETRY_DELAY_MS = 5000;

/** The calls the notifier makes; Bolt's WebClient has the same shape. */
export interface SlackMessages {
  chat: {
    postMessage(args: webApi.ChatPostMessageArguments): Promise<webApi.ChatPostMessageResponse>;
    update(args: webApi.ChatUpdateArguments): Promise<webApi.ChatUpdateResponse>;
  };
  views: {
    publish(args: webApi.ViewsPublishArguments): Promise<webApi.ViewsPublishResponse>;
  };
  /** A Workflow Builder step's completion (no scope needed). */
  functions: {
    completeSuccess(args: { function_execution_id: string; outputs: Record<string, unknown> }): Promise<unknown>;
    completeError(args: { function_execution_id: string; error: string }): Promise<unknown>;
  };
}

/** Slack answered `ok: false` (channel_not_found, not_in_channel, ...): not retried. */
export class SlackPlatformError extends Error {
  readonly code = webApi.ErrorCode.PlatformError;

  constructor(readonly method: string, readonly data: { ok: false; error: string; [k: string]: unknown }) {
    super(`${method}: ${data.error}`);
    this.name = 'SlackPlatformError';
  }
}

/** An HTTP status other than 200 and 429, after any retries. */
export class SlackHttpError extends Error {
  readonly code = webApi.ErrorCode.HTTPError;

  constructor(readonly method: string, readonly statusCode: number) {
    super(`${method}: HTTP ${statusCode}`);
    this.name = 'SlackHttpError';
  }
}

/** A 429 asking for a longer wait than the client will make, or one too many. */
export class SlackRateLimitedError extends Error {
  readonly code = webApi.ErrorCode.RateLimitedError;

  constructor(readonly method: string, readonly retryAfter: number) {
    super(`${method}: rate limited, retry after ${retryAfter} s`);
    this.name = 'SlackRateLimitedError';
  }
}

/** The network failed or Slack did not answer in time, after any retries. */
export class SlackRequestError extends Error {
  readonly code = webApi.ErrorCode.RequestError;

  constructor(readonly method: string, cause: unknown) {
    super(`${method}: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`, { cause });
    this.name = 'SlackRequestError';
  }
}

/**
 * No token for the Slack workspace a call is for: Keywarden is not (or no longer) installed there
 * (installable mode: uninstalled, its tokens revoked). Not retried: nothing can send it now.
 */
export class SlackNotInstalledError extends Error {
  readonly code = 'slack_not_installed';

  constructor(readonly teamId: string | null, readonly enterpriseId: string | null) {
    super(`Keywarden is not installed on Slack workspace ${teamId ?? '(none named)'}${enterpriseId ? ` of organisation ${enterpriseId}` : ''}`);
    this.name = 'SlackNotInstalledError';
  }
}

/** Slack's answers that mean the token no longer works (revoked, uninstalled, deactivated): never worth a retry. */
export const AUTH_ERRORS: ReadonlySet<string> = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'team_access_not_granted']);

/** The bot token of a call: fixed (one Slack workspace), or found when the call is made (installable mode). */
export type TokenSource = string | (() => Promise<string>);

export class SlackClient implements SlackMessages {
  readonly chat = {
    postMessage: (args: webApi.ChatPostMessageArguments) => this.call<webApi.ChatPostMessageResponse>('chat.postMessage', args),
    update: (args: webApi.ChatUpdateArguments) => this.call<webApi.ChatUpdateResponse>('chat.update', args),
  };

  readonly views = {
    publish: (args: webApi.ViewsPublishArguments) => this.call<webApi.ViewsPublishResponse>('views.publish', args),
  };

  readonly functions = {
    completeSuccess: (args: { function_execution_id: string; outputs: Record<string, unknown> }) => this.call('functions.completeSuccess', args),
    completeError: (args: { function_execution_id: string; error: string }) => this.call('functions.completeError', args),
  };

  /** For the Directory (directory.ts): a user group's members. */
  readonly usergroups = {
    users: {
      list: (args: { usergroup: string }) => this.call<{ users?: string[] }>('usergroups.users.list', args),
    },
  };

  /** For People (people.ts): who a user is (both need users:read.email). */
  readonly users = {
    info: (args: { user: string }) => this.call<{ user?: { profile?: { email?: string } } }>('users.info', args),
    lookupByEmail: (args: { email: string }) => this.call<{ user?: { id?: string } }>('users.lookupByEmail', args),
  };

  private readonly headers: Record<string, string> | null;

  constructor(private readonly o: { token: TokenSource; apiUrl: string; log: Log; bounds: SlackClientBounds }) {
    this.headers = typeof o.token === 'string' ? authHeaders(o.token) : null;
  }

  /** The same client (bounds, connections) with another token: an installation's. */
  withToken(token: TokenSource): SlackClient {
    return new SlackClient({ ...this.o, token });
  }

  /** One Web API method, with the retries above; resolves with Slack's answer when it says ok. */
  async call<T>(method: string, args: object): Promise<T> {
    const { bounds, log } = this.o;
    const headers = this.headers ?? authHeaders(await (this.o.token as () => Promise<string>)());
    const body = JSON.stringify(args);
    let failures = 0;
    let limited = 0;
    for (;;) {
      let answer: HttpAnswer;
      try {
        answer = await httpRequest(`${this.o.apiUrl}${method}`, { method: 'POST', headers, body, timeoutMs: bounds.timeoutMs });
      } catch (err) {
        if (failures >= bounds.retries) throw new SlackRequestError(method, err);
        await sleep(this.backoff(failures++));
        continue;
      }
      if (answer.status === 429) {
        const wait = retryAfterSeconds(answer);
        if (wait > bounds.maxRetryAfterSeconds || limited >= bounds.rateLimitRetries) throw new SlackRateLimitedError(method, wait);
        limited++;
        log.warn({ method, retryAfter: wait, attempt: limited }, 'Slack rate-limited a call; waiting as asked');
        await sleep(wait * 1000);
        continue;
      }
      if (answer.status >= 500 && failures < bounds.retries) {
        await sleep(this.backoff(failures++));
        continue;
      }
      if (answer.status !== 200) throw new SlackHttpError(method, answer.status);
      return this.result<T>(method, answer);
    }
  }

  private result<T>(method: string, answer: HttpAnswer): T {
    let data: unknown;
    try {
      data = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new SlackHttpError(method, answer.status);
    }
    if (typeof data !== 'object' || data === null || (data as { ok?: unknown }).ok !== true) {
      const error = typeof (data as { error?: unknown })?.error === 'string' ? (data as { error: string }).error : 'unknown_error';
      throw new SlackPlatformError(method, { ...(data as object), ok: false, error });
    }
    return data as T;
  }

  private backoff(failures: number): number {
    return Math.min(this.o.bounds.minRetryDelayMs * 2 ** failures, MAX_RETRY_DELAY_MS);
  }
}

function authHeaders(token: string): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` };
}

/** Slack's Retry-After, in seconds; a missing or unreadable one counts as a second. */
function retryAfterSeconds(answer: HttpAnswer): number {
  const raw = answer.headers['retry-after'];
  const s = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(s) && s >= 0 ? s : 1;
}

/** The client for the bot token, bounded as above (`bounds` overrides the defaults). */
export function createSlackClient(o: { token: TokenSource; apiUrl: string; log: Log; bounds?: Partial<SlackClientBounds> }): SlackClient {
  const bounds = { ...SLACK_CLIENT_BOUNDS, ...o.bounds };
  if (!(bounds.timeoutMs > 0) || bounds.retries < 0 || bounds.rateLimitRetries < 0) throw new Error('invalid Slack client bounds');
  return new SlackClient({ token: o.token, apiUrl: o.apiUrl.endsWith('/') ? o.apiUrl : `${o.apiUrl}/`, log: o.log, bounds });
}
