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
}

// Returns the count and the window's remaining ms. A key left without an expiry (it cannot happen
// through this script, but a key must never count forever) gets one.
const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

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
}
