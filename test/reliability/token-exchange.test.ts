/**
 * The token exchange under attack: rate limits per API token (counted by its hash, so a token that
 * does not exist is counted like one that does) and per client address, shared through Redis by
 * every web process, with 429 and Retry-After; lookups by hash only, the same for every refused
 * token; every API refusal (401, 403, 429) logged with who tried what.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken } from '../../src/domain/api-token.js';
import { loadConfig } from '../../src/config.js';
import { startKeywarden, type Keywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { accessTokenFor, addTechnicalUser, call, exchange, listPath, PERMISSIONS_PATH } from '../api/api-client.js';
import { faultyStore, type FaultyStore } from '../helpers/faulty-store.js';
import { LogCapture, SIGNING_SECRET, startTestApp, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { recordFigures } from './figures.js';
import { logLines } from './flow.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const figures: Record<string, unknown> = {};
afterAll(() => recordFigures('token-exchange', figures));

describe('rate limits', () => {
  let t: TestApp;
  let second: Keywarden;
  const PREFIX = 'kwtest-ratelimit';
  beforeAll(async () => {
    const env = { TOKEN_EXCHANGE_PER_TOKEN_PER_MINUTE: '5', TOKEN_EXCHANGE_PER_ADDRESS_PER_MINUTE: '12' };
    t = await startTestApp({ env, options: { queuePrefix: PREFIX } });
    // A second web process on the same Redis and store: the counts are shared.
    const config = loadConfig({
      PORT: '0', MONGODB_URI: 'memory', REDIS_URL: t.redis.url, SLACK_API_URL: t.slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, LOG_LEVEL: 'debug', ...env,
    });
    second = await startKeywarden(config, { log: createLog('debug', new LogCapture()), store: t.store, queuePrefix: PREFIX });
  });
  afterAll(async () => {
    await second?.stop();
    await t?.stop();
  });

  const add = () => addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'MEMBER', now: new Date() });

  it('per API token and per address, with 429, Retry-After and a refusal line; unknown tokens count the same', async () => {
    const a = await add();
    const b = await add();
    const statuses: number[] = [];
    // Token A: five allowed, across both processes; the sixth refused.
    for (let i = 0; i < 6; i++) statuses.push((await exchange(i % 2 ? second.url! : t.kw.url!, a.token)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await exchange(t.kw.url!, a.token);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.json).toEqual({ error: 'slow_down', error_description: expect.stringMatching(/Too many token requests from this API token; try again in \d+ s/) });
    // A token that does not exist is counted exactly like one that does: 429, not 401, once over.
    const ghost = generateApiToken().token;
    const ghostStatuses: number[] = [];
    for (let i = 0; i < 4; i++) ghostStatuses.push((await exchange(second.url!, ghost)).status);
    expect(ghostStatuses).toEqual([401, 401, 401, 401]);
    // 11 requests from this address so far: one more is allowed, then the address is over its 12.
    expect((await exchange(t.kw.url!, b.token)).status).toBe(200);
    const byAddress = await exchange(second.url!, b.token);
    expect(byAddress.status).toBe(429);
    expect(byAddress.json.error_description).toMatch(/from this address/);

    const lines = logLines(t).filter((l) => l.msg === 'refused' && l.refusal === 'API.RATE_LIMITED');
    expect(lines[0]).toMatchObject({ level: 40, who: { address: expect.stringMatching(/127\.0\.0\.1/), tokenHash: sha(a.token).slice(0, 12) }, what: { method: 'POST', path: '/services/mtm/v1/oauth2/token', limit: 'token' } });
    expect(t.logs.text).not.toContain(a.token);
    figures.rateLimits = { perTokenPerMinute: 5, perAddressPerMinute: 12, sharedByTwoWebProcesses: true, retryAfterSeconds: retryAfter };
  });
});

describe('rate limits behind a reverse proxy (TRUSTED_PROXIES=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOKEN_EXCHANGE_PER_ADDRESS_PER_MINUTE: '3', TRUSTED_PROXIES: '1' }, options: { queuePrefix: 'kwtest-proxied' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('counts each client behind the proxy on its own, and a forged X-Forwarded-For changes nothing', async () => {
    const { token } = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'MEMBER', now: new Date() });
    const from = (chain: string) => exchange(t.kw.url!, token, { headers: { 'x-forwarded-for': chain } });
    const statuses = async (chain: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await from(chain)).status);
      return out;
    };
    expect(await statuses('203.0.113.9', 4)).toEqual([200, 200, 200, 429]);
    // Another client of the same proxy has its own count.
    expect(await statuses('203.0.113.10', 1)).toEqual([200]);
    // The first client, pretending to be someone else: the proxy appended its real address.
    expect(await statuses('198.51.100.1, 203.0.113.9', 1)).toEqual([429]);
    const line = logLines(t).find((l) => l.msg === 'refused' && l.refusal === 'API.RATE_LIMITED');
    expect(line).toMatchObject({ who: { address: '203.0.113.9' }, what: { limit: 'address' } });
  });
});

describe('lookups by hash, and one answer for every refused token', () => {
  let t: TestApp;
  let f: FaultyStore;
  beforeAll(async () => {
    f = faultyStore(createMemoryStore());
    // No maintenance sweeps in the background: every store call seen is the request's own.
    t = await startTestApp({ store: f.store, options: { sweepEveryMs: 3600_000 } });
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('an unknown, an expired and a revoked token each cost exactly one findByTokenHash, and get the same answer', async () => {
    const now = new Date();
    const expired = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', now, expiresInDays: -1 });
    const revoked = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', now });
    await t.store.technicalUsers.update(revoked.tu.id, revoked.tu.version, { token: { ...revoked.tu.token!, revokedAt: now } });
    const cases = { unknown: generateApiToken().token, expired: expired.token, revoked: revoked.token };
    const seen: Record<string, { calls: string[]; hashes: unknown[]; status: number; text: string; auth: string | null }> = {};
    for (const [name, token] of Object.entries(cases)) {
      f.calls.length = 0;
      const a = await exchange(t.kw.url!, token);
      seen[name] = {
        calls: f.calls.map((c) => `${c.repo}.${c.method}`),
        hashes: f.calls.map((c) => c.args[0]),
        status: a.status, text: a.text, auth: a.headers.get('www-authenticate'),
      };
      expect(seen[name]!.hashes, name).toEqual([sha(token)]);
    }
    expect(seen.unknown).toMatchObject({ calls: ['technicalUsers.findByTokenHash'], status: 401 });
    expect({ ...seen.expired, hashes: [] }).toEqual({ ...seen.unknown, hashes: [] });
    expect({ ...seen.revoked, hashes: [] }).toEqual({ ...seen.unknown, hashes: [] });
    // Not even shaped like a token: no lookup at all, and still the same answer.
    f.calls.length = 0;
    const malformed = await exchange(t.kw.url!, 'hunter2');
    expect(f.calls).toEqual([]);
    expect(malformed.text).toBe(seen.unknown!.text);
    figures.lookup = { findByTokenHashPerRefusedToken: 1, otherStoreCalls: 0, identicalAnswers: true };
  });

  it('logs every API refusal with who tried what: 401, 403 (role, other workspace), and the refused API token', async () => {
    const now = new Date();
    const viewer = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'VIEWER', userName: 'viewer-bot', now });
    const jwt = await accessTokenFor(t.kw.url!, viewer.token);
    const before = logLines(t).filter((l) => l.msg === 'refused').length;
    expect((await call(t.kw.url!, 'GET', listPath(WS_ID), { bearer: 'garbage' })).status).toBe(401);
    expect((await call(t.kw.url!, 'GET', listPath(WS_ID))).status).toBe(401);
    expect((await call(t.kw.url!, 'POST', PERMISSIONS_PATH, { bearer: jwt, body: {} })).status).toBe(403);
    expect((await call(t.kw.url!, 'GET', listPath(WS2_ID), { bearer: jwt })).status).toBe(403);
    const ghost = generateApiToken().token;
    expect((await exchange(t.kw.url!, ghost)).status).toBe(401);
    const lines = logLines(t).filter((l) => l.msg === 'refused').slice(before);
    const address = expect.stringMatching(/127\.0\.0\.1/);
    expect(lines.map(({ level, refusal, who, what }) => ({ level, refusal, who, what }))).toEqual([
      { level: 40, refusal: 'AUTH.ACCESS_TOKEN_INVALID', who: { address }, what: { method: 'GET', path: listPath(WS_ID) } },
      { level: 40, refusal: 'API.UNAUTHENTICATED', who: { address }, what: { method: 'GET', path: listPath(WS_ID) } },
      {
        level: 40, refusal: 'AUTH.ROLE_TOO_LOW', who: { address, technicalUserId: viewer.tu.id, technicalUser: 'viewer-bot', workspaceId: WS_ID },
        what: { method: 'POST', path: PERMISSIONS_PATH },
      },
      {
        level: 40, refusal: 'AUTH.OTHER_WORKSPACE', who: { address, technicalUserId: viewer.tu.id, technicalUser: 'viewer-bot', workspaceId: WS_ID },
        what: { method: 'GET', path: listPath(WS2_ID) },
      },
      { level: 40, refusal: 'AUTH.API_TOKEN_INVALID', who: { address, tokenHash: sha(ghost).slice(0, 12) }, what: { method: 'POST', path: '/services/mtm/v1/oauth2/token' } },
    ]);
    expect(t.logs.text).not.toContain(ghost);
    expect(t.logs.text).not.toContain(viewer.token);
  });
});
