/**
 * How often the token exchange may be called: per client address (checked first, before the
 * request is even read) and per API token, counted by the token's SHA-256 hash so the count of a
 * token that does not exist is kept exactly like that of one that does.
 */
import { hashApiToken } from '../domain/api-token.js';
import type { RateLimiter } from './rate-limiter.js';
import { HttpError } from './http-error.js';

export interface TokenExchangeLimits {
  perAddressPerMinute: number;
  perTokenPerMinute: number;
}

/** A refused hit: the 429's Retry-After, and which count it was. */
export class RateLimitedError extends HttpError {
  constructor(
    readonly scope: 'address' | 'token',
    readonly retryAfterSeconds: number,
  ) {
    super(429, `Too many token requests from this ${scope === 'address' ? 'address' : 'API token'}; try again in ${retryAfterSeconds} s.`, {
      'retry-after': String(retryAfterSeconds),
    });
  }
}

const MINUTE = 60_000;

export class TokenExchangeGuard {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly limits: TokenExchangeLimits,
  ) {}

  async checkAddress(address: string): Promise<void> {
    const v = await this.limiter.hit(`tx:addr:${address}`, { limit: this.limits.perAddressPerMinute, windowMs: MINUTE });
    if (!v.allowed) throw new RateLimitedError('address', v.retryAfterSeconds);
  }

  /** Both counts in one round trip: the address first; the token is counted only if that passes. */
  async check(address: string, apiToken: string): Promise<void> {
    const v = await this.limiter.hitAll([
      { key: `tx:addr:${address}`, limit: { limit: this.limits.perAddressPerMinute, windowMs: MINUTE } },
      { key: `tx:tok:${hashApiToken(apiToken).slice(0, 32)}`, limit: { limit: this.limits.perTokenPerMinute, windowMs: MINUTE } },
    ]);
    if (!v.allowed) throw new RateLimitedError(v.index === 0 ? 'address' : 'token', v.retryAfterSeconds);
  }

  async checkToken(apiToken: string): Promise<void> {
    const v = await this.limiter.hit(`tx:tok:${hashApiToken(apiToken).slice(0, 32)}`, { limit: this.limits.perTokenPerMinute, windowMs: MINUTE });
    if (!v.allowed) throw new RateLimitedError('token', v.retryAfterSeconds);
  }
}
