/**
 * Expiry warnings and request expiry with a controllable clock: one warning per threshold, the
 * nearest when several passed unseen, none twice however many scans run, a new date starts over.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ExpiryService } from '../../src/app/expiry.js';
import { generateApiToken } from '../../src/domain/api-token.js';
import { firstWarningAt } from '../../src/domain/expiry-warnings.js';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import { createLog } from '../../src/log.js';
import { ACTIVE, ADMIN, world, WS_ID, type World } from './fixtures.js';

const DAY = 86_400_000;
const POLICY = [30, 7, 1, 0];
let w: World;
let expiry: ExpiryService;

beforeEach(async () => {
  w = await world();
  expiry = new ExpiryService({ store: w.store, notifier: w.notifier, clock: w.clock, log: createLog('silent') });
});

async function addToken(userName: string, expiresInDays: number): Promise<TechnicalUser> {
  const t = generateApiToken();
  const expiresAt = new Date(w.clock.now().getTime() + expiresInDays * DAY);
  const tu: TechnicalUser = {
    id: crypto.randomUUID(), workspaceId: WS_ID, userName, description: '', role: 'MEMBER', customerRoles: [], accessControlEntities: [],
    token: { hash: t.hash, lastFour: t.lastFour, createdAt: w.clock.now(), expiresAt, revealBy: null, revokedAt: null, nextWarningAt: firstWarningAt(expiresAt, POLICY), lastWarnedDays: null },
    createdAt: w.clock.now(), version: 0, lastRequestId: null,
  };
  await w.store.technicalUsers.insert(tu);
  return tu;
}

const warned = () => w.notifier.warnings.map((x) => `${x.userName}:${x.days}`);

describe('token expiry warnings', () => {
  it('warns once at each threshold, and never between them', async () => {
    await addToken('ci-bot', 40);
    expect(await expiry.scanTokens()).toBe(0);
    const steps: Array<[number, string[]]> = [[10, ['ci-bot:30']], [5, []], [18, ['ci-bot:7']], [6, ['ci-bot:1']], [1, ['ci-bot:0']], [30, []]];
    const seen: string[] = [];
    for (const [days, expected] of steps) {
      w.clock.advance(days * DAY);
      await expiry.scanTokens();
      await expiry.scanTokens();
      seen.push(...expected);
      expect(warned()).toEqual(seen);
    }
  });

  it('gives a token first seen inside several thresholds one warning, for the nearest', async () => {
    await addToken('late-bot', 3);
    await expiry.scanTokens();
    expect(warned()).toEqual(['late-bot:7']);
    w.clock.advance(2 * DAY + 1);
    await expiry.scanTokens();
    expect(warned()).toEqual(['late-bot:7', 'late-bot:1']);
  });

  it('posts each warning once however many scans run at the same time', async () => {
    for (let i = 0; i < 20; i++) await addToken(`bot-${i}`, 5);
    await Promise.all(Array.from({ length: 8 }, () => expiry.scanTokens()));
    expect(warned()).toHaveLength(20);
    expect(new Set(warned()).size).toBe(20);
  });

  it('hands a warning that could not be posted back to the next scan', async () => {
    await addToken('flaky-bot', 6);
    w.notifier.failWarnings = 1;
    expect(await expiry.scanTokens()).toBe(0);
    expect(await expiry.scanTokens()).toBe(1);
    expect(warned()).toEqual(['flaky-bot:7']);
  });

  it('starts the count again when the token gets a new expiry date', async () => {
    const tu = await addToken('ext-bot', 6);
    await expiry.scanTokens();
    const current = (await w.store.technicalUsers.findById(tu.id))!;
    const expiresAt = new Date(w.clock.now().getTime() + 60 * DAY);
    await w.store.technicalUsers.update(tu.id, current.version, {
      token: { ...current.token!, expiresAt, nextWarningAt: firstWarningAt(expiresAt, POLICY), lastWarnedDays: null },
    });
    w.clock.advance(30 * DAY + 1);
    await expiry.scanTokens();
    expect(warned()).toEqual(['ext-bot:7', 'ext-bot:30']);
  });

  it('reads only due tokens: a revoked or far-off token is not even listed', async () => {
    await addToken('far-bot', 400);
    const revoked = await addToken('revoked-bot', 2);
    await w.store.technicalUsers.update(revoked.id, 0, { token: { ...revoked.token!, revokedAt: w.clock.now() } });
    expect(await w.store.technicalUsers.listWarningsDue(w.clock.now(), 100)).toEqual([]);
  });
});

describe('pending requests past their TTL', () => {
  it('become EXPIRED, the message is rewritten and the requester told, once', async () => {
    const r = await w.requests.submit({
      workspace: w.ws, requester: ADMIN, request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }, reason: null,
    });
    expect(await w.requests.expirePending()).toBe(0);
    w.clock.advance(72 * 3600_000);
    expect((await Promise.all([w.requests.expirePending(), w.requests.expirePending()])).reduce((a, b) => a + b)).toBe(1);
    const done = await w.store.requests.findById(r.id);
    expect(done).toMatchObject({ status: 'EXPIRED', outcome: 'Nobody decided in time.' });
    expect(w.notifier.told.filter((x) => x.id === r.id)).toHaveLength(1);
    expect(w.notifier.updated.at(-1)).toMatchObject({ id: r.id, status: 'EXPIRED' });
  });
});
