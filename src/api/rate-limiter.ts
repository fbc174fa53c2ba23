/**
 * A fixed-window rate limiter in Redis, so several web processes share one count: the first hit
 * of a key starts its window (INCR, then PEXPIRE), every hit counts, and a key over its limit is
 * refused until the window ends. One round trip (a Lua script), atomic on the server. When Redis
 * is down every hit is allowed (see http/redis-guard.ts).
 */
import type { Redis } from 'ioredis';
import type { Log } from '../app/ports.js';
import { FailOpen } from '../http/redis-guard.js';

export interface RateLimit {
  /** Hits allowed per window. */
  limit: number;
  windowMs: number;
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  hit(key: string, limit: RateLimit): Promise<RateVerdict>;
  /**
   * Several counters in one round trip, in order: each is counted until one is over its limit,
   * and the later ones are then not counted. Returns the index of the refusing one, if any.
   */
  hitAll(hits: Array<{ key: string; limit: RateLimit }>): Promise<{ allowed: true } | { allowed: false; index: number; retryAfterSeconds: number }>;
  /**
   * Whether one more hit would still be within the limit, without counting one: for limits on
   * failures (a login), which must be checked before the attempt and counted only if it fails.
   */
  peek(key: string, limit: RateLimit): Promise<RateVerdict>;
}

// Returns the count and the window's remaining ms. A key left without an expiry (it cannot happen
// through this script, but a key must never count forever) gets one.
const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

const SCRIPT_ALL = `
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i - 1])
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, window) end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then redis.call('PEXPIRE', key, window); ttl = window end
  if n > tonumber(ARGV[2 * i]) then return {i, ttl} end
end
return {0, 0}`;

const SCRIPT_PEEK = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
return {n, redis.call('PTTL', KEYS[1])}`;

export class RedisRateLimiter implements RateLimiter {
  private readonly failOpen: FailOpen;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    log: Log,
  ) {
    this.failOpen = new FailOpen(log, 'rate limit');
  }

  async hit(key: string, { limit, windowMs }: RateLimit): Promise<RateVerdict> {
    let count: number;
    let ttlMs: number;
    try {
      [count, ttlMs] = (await this.redis.eval(SCRIPT, 1, `${this.prefix}:rl:${key}`, String(windowMs))) as [number, number];
    } catch (err) {
      this.failOpen.allowed(err);
      return { allowed: true };
    }
    if (count <= limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  }

  async peek(key: string, { limit }: RateLimit): Promise<RateVerdict> {
    let count: number;
    let ttlMs: number;
    try {
      [count, ttlMs] = (await this.redis.eval(SCRIPT_PEEK, 1, `${this.prefix}:rl:${key}`)) as [number, number];
    } catch (err) {
      this.failOpen.allowed(err);
      return { allowed: true };
    }
    if (count < limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  }

  async hitAll(hits: Array<{ key: string; limit: RateLimit }>) {
    let index: number;
    let ttlMs: number;
    try {
      const keys = hits.map((h) => `${this.prefix}:rl:${h.key}`);
      const args = hits.flatMap((h) => [String(h.limit.windowMs), String(h.limit.limit)]);
      [index, ttlMs] = (await this.redis.eval(SCRIPT_ALL, keys.length, ...keys, ...args)) as [number, number];
    } catch (err) {
      this.failOpen.allowed(err);
      return { allowed: true } as const;
    }
    if (index === 0) return { allowed: true } as const;
    return { allowed: false, index: index - 1, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) } as const;
  }
}
