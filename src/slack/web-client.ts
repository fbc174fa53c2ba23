/**
 * The Slack Web API client every message Keywarden posts goes through, with bounds on how long a
 * misbehaving Slack can hold a caller (a queue job, a listener):
 *
 * - each HTTP call times out (the library's default is to wait forever);
 * - network errors, timeouts and HTTP 5xx are retried a few times with backoff;
 * - a 429 is waited out as its Retry-After asks, but only when that is short: the library would
 *   otherwise sleep for whatever Slack says (an hour if it says an hour) with every other call of
 *   the client paused behind it. A longer Retry-After fails the call at once, and the caller's own
 *   retry (the queue's backoff) tries later.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { webApi } from '@slack/bolt';
import type { Log } from '../app/ports.js';
import { boltLogger } from './bolt-logger.js';
import { slackFetch } from './http-fetch.js';

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

class BoundedWebClient extends webApi.WebClient {
  private bounds: SlackClientBounds = SLACK_CLIENT_BOUNDS;
  private log: Log | undefined;

  configure(bounds: SlackClientBounds, log: Log): this {
    this.bounds = bounds;
    this.log = log;
    return this;
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<webApi.WebAPICallResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await super.apiCall(method, options);
      } catch (err) {
        const wait = retryAfterSeconds(err);
        if (wait === null || wait > this.bounds.maxRetryAfterSeconds || attempt >= this.bounds.rateLimitRetries) throw err;
        this.log?.warn({ method, retryAfter: wait, attempt: attempt + 1 }, 'Slack rate-limited a call; waiting as asked');
        await sleep(wait * 1000);
      }
    }
  }
}

function retryAfterSeconds(err: unknown): number | null {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== webApi.ErrorCode.RateLimitedError) return null;
  const s = (err as { retryAfter?: unknown }).retryAfter;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? s : null;
}

/** A Web API client for the bot token, bounded as above (`bounds` overrides the defaults). */
export function createSlackWebClient(o: { token: string; apiUrl: string; log: Log; bounds?: Partial<SlackClientBounds> }): webApi.WebClient {
  const bounds = { ...SLACK_CLIENT_BOUNDS, ...o.bounds };
  if (!(bounds.timeoutMs > 0) || bounds.retries < 0 || bounds.rateLimitRetries < 0) throw new Error('invalid Slack client bounds');
  return new BoundedWebClient(o.token, {
    slackApiUrl: o.apiUrl,
    logger: boltLogger(o.log),
    timeout: bounds.timeoutMs,
    rejectRateLimitedCalls: true,
    fetch: slackFetch, // node:http rather than undici: half the CPU per call (see http-fetch.ts)
    retryConfig: { retries: bounds.retries, factor: 2, minTimeout: bounds.minRetryDelayMs, maxTimeout: 5000 },
  }).configure(bounds, o.log);
}
