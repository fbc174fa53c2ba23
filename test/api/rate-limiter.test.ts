/**
 * The Redis guards of the web edge on a private Redis: the fixed-window rate limiter and the
 * replayed-signature guard, and what both do when Redis cannot be reached (let requests through,
 * and say so once a minute).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../src/api/rate-limiter.js';
import { RateLimitedError, TokenExchangeGuard } from '../../src/api/token-limits.js';
import { createLog } from '../../src/log.js';
import { redisConnection } from '../../src/queue/connection.js';
import { RedisReplayGuard } from '../../src/slack/replay-guard.js';
import { LogCapture } from '../helpers/keywarden.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const prefix = () => `kwtest-${randomUUID().slice(0, 8)}`;

describe('RedisRateLimiter', () => {
  it('allows `limit` hits per window, refuses the rest with the seconds left, and starts again after the window', async () => {
    const rl = new RedisRateLimiter(client, prefix(), createLog('silent'));
    const limit = { limit: 3, windowMs: 1200 };
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await rl.hit('k', limit));
    expect(verdicts.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(verdicts[3]).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(verdicts[4]).toMatchObject({ allowed: false });
    expect(await rl.hit('other', limit)).toEqual({ allowed: true });
    await new Promise((r) => setTimeout(r, 1300));
    expect(await rl.hit('k', limit)).toEqual({ allowed: true });
  });

  it('peek says whether one more hit would be refused, without counting one', async () => {
    const rl = new RedisRateLimiter(client, prefix(), createLog('silent'));
    const limit = { limit: 2, windowMs: 60_000 };
    for (let i = 0; i < 5; i++) expect(await rl.peek('k', limit)).toEqual({ allowed: true });
    await rl.hit('k', limit);
    expect(await rl.peek('k', limit)).toEqual({ allowed: true });
    await rl.hit('k', limit);
    expect(await rl.peek('k', limit)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(await rl.peek('other', limit)).toEqual({ allowed: true });
  });

  it('counts concurrent hits from several clients exactly (one atomic script)', async () => {
    const p = prefix();
    const clients = [client, new Redis(redis.url), new Redis(redis.url)];
    const limiters = clients.map((c) => new RedisRateLimiter(c, p, createLog('silent')));
    const verdicts = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 3]!.hit('shared', { limit: 25, windowMs: 60_000 })));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(25);
    for (const c of clients.slice(1)) c.disconnect();
  });

  it('never leaves a key without an expiry', async () => {
    const p = prefix();
    const rl = new RedisRateLimiter(client, p, createLog('silent'));
    await rl.hit('k', { limit: 1, windowMs: 5000 });
    const ttl = await client.pttl(`${p}:rl:k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
    await client.persist(`${p}:rl:k`); // a key that lost its expiry somehow
    await rl.hit('k', { limit: 1, windowMs: 5000 });
    expect(await client.pttl(`${p}:rl:k`)).toBeGreaterThan(0);
  });

  it('lets every hit through when Redis is down, and warns once a minute, not once a hit', async () => {
    const dead = redisConnection('redis://127.0.0.1:1', 'producer');
    dead.on('error', () => undefined);
    const logs = new LogCapture();
    const rl = new RedisRateLimiter(dead, prefix(), createLog('debug', logs));
    for (let i = 0; i < 10; i++) expect(await rl.hit('k', { limit: 1, windowMs: 60_000 })).toEqual({ allowed: true });
    expect(logs.lines.filter((l) => l.includes('letting requests through unchecked'))).toHaveLength(1);
    expect(logs.text).toContain('"guard":"rate limit"');
    dead.disconnect();
  });
});

describe('RedisRateLimiter.hitAll', () => {
  it('counts several keys in order in one call, and stops counting at the first one over its limit', async () => {
    const rl = new RedisRateLimiter(client, prefix(), createLog('silent'));
    const both = [
      { key: 'addr', limit: { limit: 3, windowMs: 60_000 } },
      { key: 'tok', limit: { limit: 1, windowMs: 60_000 } },
    ];
    expect(await rl.hitAll(both)).toEqual({ allowed: true });
    expect(await rl.hitAll(both)).toEqual({ allowed: false, index: 1, retryAfterSeconds: 60 });
    expect(await rl.hitAll(both)).toEqual({ allowed: false, index: 1, retryAfterSeconds: 60 });
    // The address has now been counted three times: the fourth refuses there, and the token is not counted.
    expect(await rl.hitAll(both)).toMatchObject({ allowed: false, index: 0 });
    expect(await rl.hit('tok', { limit: 4, windowMs: 60_000 })).toEqual({ allowed: true });
  });
});

describe('TokenExchangeGuard', () => {
  it('counts API tokens by a hash prefix (never the token) and addresses separately', async () => {
    const p = prefix();
    const guard = new TokenExchangeGuard(new RedisRateLimiter(client, p, createLog('silent')), { perAddressPerMinute: 2, perTokenPerMinute: 1 });
    await guard.checkToken('lxt_secret-token-value');
    await expect(guard.checkToken('lxt_secret-token-value')).rejects.toBeInstanceOf(RateLimitedError);
    await guard.checkAddress('10.0.0.1');
    await guard.checkAddress('10.0.0.1');
    await expect(guard.checkAddress('10.0.0.1')).rejects.toMatchObject({ status: 429, scope: 'address', headers: { 'retry-after': expect.stringMatching(/^\d+$/) } });
    const keys = await client.keys(`${p}:*`);
    expect(keys).toHaveLength(2);
    expect(keys).toContain(`${p}:rl:tx:addr:10.0.0.1`);
    expect(keys.find((k) => k.includes(':tok:'))).toMatch(new RegExp(`^${p}:rl:tx:tok:[0-9a-f]{32}$`));
    expect(keys.join()).not.toContain('secret');
  });
});

describe('RedisReplayGuard', () => {
  it('accepts a signature once, and expires it after the freshness window', async () => {
    const p = prefix();
    const g = new RedisReplayGuard(client, p, createLog('silent'));
    expect(await g.firstSeen('v0=abc')).toBe(true);
    expect(await g.firstSeen('v0=abc')).toBe(false);
    expect(await g.firstSeen('v0=abd')).toBe(true);
    const [key] = await client.keys(`${p}:slack-sig:*`);
    const ttl = await client.pttl(key!);
    expect(ttl).toBeGreaterThan(10 * 60_000);
    expect(ttl).toBeLessThanOrEqual(11 * 60_000);
  });

  it('lets requests through when Redis is down', async () => {
    const dead = redisConnection('redis://127.0.0.1:1', 'producer');
    dead.on('error', () => undefined);
    const logs = new LogCapture();
    const g = new RedisReplayGuard(dead, prefix(), createLog('debug', logs));
    expect(await g.firstSeen('v0=abc')).toBe(true);
    expect(await g.firstSeen('v0=abc')).toBe(true);
    expect(logs.text).toContain('"guard":"slack replay guard"');
    dead.disconnect();
  });
});
