/**
 * Slack's signature proves who sent a request and, with its timestamp, roughly when; it does not
 * stop the same signed request from being sent again within the 5 minutes it stays fresh. A
 * replayed slash command would ask for the same change twice, so each signature is accepted once:
 * it is remembered in Redis (shared by every web process) for longer than it can stay fresh.
 * When Redis is down, requests are let through (http/redis-guard.ts).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Log } from '../app/ports.js';
import { FailOpen } from '../http/redis-guard.js';

export interface ReplayGuard {
  /** True the first time a signature is seen; false when it was seen before (a replay). */
  firstSeen(signature: string): Promise<boolean>;
}

/** Longer than a signature can be fresh (5 minutes either way). */
const REMEMBER_MS = 11 * 60_000;

export class RedisReplayGuard implements ReplayGuard {
  private readonly failOpen: FailOpen;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    log: Log,
  ) {
    this.failOpen = new FailOpen(log, 'slack replay guard');
  }

  async firstSeen(signature: string): Promise<boolean> {
    const key = `${this.prefix}:slack-sig:${createHash('sha256').update(signature).digest('hex').slice(0, 40)}`;
    try {
      return (await this.redis.set(key, '1', 'PX', REMEMBER_MS, 'NX')) === 'OK';
    } catch (err) {
      return this.failOpen.allowed(err);
    }
  }
}
