/**
 * LeanixClient against the fake LeanIX: the access token (shared, renewed, one retry on 401),
 * the unauthorised state, 429, 5xx, timeouts, paging, posting back unknown fields, LeanIX's own
 * refusals, technical users and their tokens, and the API token in no error and no log line.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeanixClient, type LeanixClientOptions } from '../../src/leanix/client.js';
import { LeanixCodes, type LeanixError } from '../../src/leanix/errors.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { TestClock } from '../helpers/clock.js';
import { createLog } from '../../src/log.js';

let lx: FakeLeanix;
let clock: TestClock;
let waits: number[];
let logLines: string[];

const client = (o: Partial<LeanixClientOptions> = {}) => new LeanixClient({
  baseUrl: lx.url, workspaceId: lx.workspaceId, apiToken: lx.apiToken, clock,
  sleep: async (ms) => { waits.push(ms); clock.advance(ms); },
  log: createLog('debug', { write: (l: string) => { logLines.push(l); } }),
  ...o,
});

const fail = async (p: Promise<unknown>): Promise<LeanixError> => {
  try { await p; } catch (err) { return err as LeanixError; }
  throw new Error('expected the call to fail');
};

const tokenCalls = () => lx.callsTo('POST', /oauth2\/token$/).length;
const all = async <T>(it: AsyncIterable<T[]>) => { const out: T[] = []; for await (const p of it) out.push(...p); return out; };

beforeEach(async () => {
  clock = new TestClock();
  lx = await FakeLeanix.start({ clock });
  waits = [];
  logLines = [];
  lx.data.addPermission({ email: 'ann@acme.test', role: 'VIEWER' });
});
afterEach(async () => {
  await lx.stop();
});

describe('LeanixClient access token', () => {
  it('gets one access token for many concurrent calls and keeps it until shortly before it expires', async () => {
    const c = client();
    await Promise.all(Array.from({ length: 5 }, () => c.getPermissionByEmail('ann@acme.test')));
    expect(tokenCalls()).toBe(1);
    clock.advance(3000_000); // 50 minutes: still well within 3599 s less the margin
    await c.getPermissionByEmail('ann@acme.test');
    expect(tokenCalls()).toBe(1);
    clock.advance(600_000); // 60 minutes: within the last minute of its life
    await c.getPermissionByEmail('ann@acme.test');
    expect(tokenCalls()).toBe(2);
  });

  it('answers one 401 with one new access token and one retry', async () => {
    const c = client();
    await c.getPermissionByEmail('ann@acme.test');
    lx.expireAccessTokens();
    expect((await c.getPermissionByEmail('ann@acme.test'))?.role).toBe('VIEWER');
    expect(tokenCalls()).toBe(2);
    expect(c.health.state).toBe('connected');
  });

  it('becomes unauthorised when the API token is revoked, says so once, and stops calling LeanIX', async () => {
    const c = client();
    const heard: string[] = [];
    c.state.onChange((h) => heard.push(h.state));
    await c.getPermissionByEmail('ann@acme.test');
    lx.revokeApiToken();
    const err = await fail(c.getPermissionByEmail('ann@acme.test'));
    expect(err.code).toBe(LeanixCodes.UNAUTHORISED);
    expect(c.health.state).toBe('unauthorised');
    const before = lx.calls.length;
    const again = await fail(c.postPermission(lx.data.permissionOf('ann@acme.test') as never));
    expect(again.code).toBe(LeanixCodes.UNAUTHORISED);
    expect(lx.calls.length).toBe(before); // nothing more was sent
    expect(heard).toEqual(['unauthorised']);
    expect(again.message).toMatch(/replaced or deleted in LeanIX/);
  });

  it('takes a second 401 on the call itself (with a fresh token) as unauthorised, not as a loop', async () => {
    const c = client();
    await c.getPermissionByEmail('ann@acme.test');
    lx.failNext(2, { status: 401, path: /permissions$/ });
    const err = await fail(c.getPermissionByEmail('ann@acme.test'));
    expect(err.code).toBe(LeanixCodes.UNAUTHORISED);
    expect(lx.callsTo('GET', /permissions$/).length).toBe(3);
  });

  it('comes back from unauthorised on recheck once the token works again', async () => {
    const c = client();
    lx.revokeApiToken();
    await fail(c.getPermissionByEmail('ann@acme.test'));
    expect(await c.recheck()).toBe(false);
    lx.restoreApiToken();
    expect(await c.recheck()).toBe(true);
    expect(c.health.state).toBe('connected');
  });
});

describe('LeanixClient faults', () => {
  it('waits out Retry-After on a 429, then succeeds', async () => {
    const c = client();
    lx.rateLimitNext(1, '7');
    expect((await c.getPermissionByEmail('ann@acme.test'))?.role).toBe('VIEWER');
    expect(waits).toEqual([7000]);
  });

  it('does not sit out a Retry-After longer than its bound: unavailable now, try later', async () => {
    const c = client({ maxRetryAfterMs: 30_000 });
    lx.rateLimitNext(1, '3600');
    expect((await fail(c.getPermissionByEmail('ann@acme.test'))).code).toBe(LeanixCodes.UNAVAILABLE);
    expect(waits).toEqual([]);
  });

  it('retries 5xx with a growing backoff, bounded', async () => {
    const c = client({ retries: 3, backoffMs: 100 });
    lx.failNext(2);
    expect((await c.getPermissionByEmail('ann@acme.test'))?.role).toBe('VIEWER');
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThanOrEqual(100);
    lx.failNext(10);
    waits = [];
    const err = await fail(c.getPermissionByEmail('ann@acme.test'));
    expect(err.code).toBe(LeanixCodes.UNAVAILABLE);
    expect(err.transient).toBe(true);
    expect(waits).toHaveLength(3);
  });

  it('gives every call a timeout and retries a read that timed out', async () => {
    const c = client({ timeoutMs: 150 });
    lx.hangNext(1, { path: /permissions$/ });
    expect((await c.getPermissionByEmail('ann@acme.test'))?.role).toBe('VIEWER');
    expect(lx.callsTo('GET', /permissions$/).map((x) => x.status)).toEqual(['hung', 200]);
  });

  it('does not repeat a create whose answer was lost: LeanIX made it once', async () => {
    const c = client();
    lx.dropAnswerOfNext(1, { method: 'POST', path: /technicalusers$/ });
    const err = await fail(c.createTechnicalUser({ userName: 'ci-bot', permissionRole: 'MEMBER', apiTokenData: { expiry: '2030-01-01T00:00:00Z' } }));
    expect(err.code).toBe(LeanixCodes.UNAVAILABLE);
    expect(lx.callsTo('POST', /technicalusers$/)).toHaveLength(1);
    expect(lx.data.byName('ci-bot')).toBeDefined();
    expect((await c.findTechnicalUserByName('ci-bot'))?.userName).toBe('ci-bot');
  });

  it('keeps the API token out of every error and log line', async () => {
    const c = client({ retries: 1 });
    lx.failNext(5, { includeToken: true });
    const err = await fail(c.getPermissionByEmail('ann@acme.test'));
    lx.revokeApiToken();
    const err2 = await fail(client().getPermissionByEmail('ann@acme.test'));
    const everything = [err.message, err.stack, err2.message, err2.stack, JSON.stringify(err), ...logLines].join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(lx.apiToken);
    expect(everything).not.toContain(Buffer.from(`apitoken:${lx.apiToken}`).toString('base64'));
  });
});

describe('LeanixClient permissions', () => {
  it('reads every page of size up to 100 until total', async () => {
    for (let i = 0; i < 249; i++) lx.data.addPermission({ email: `u${i}@acme.test` });
    const c = client();
    const pages: number[] = [];
    for await (const page of c.listPermissions()) pages.push(page.length);
    expect(pages).toEqual([100, 100, 50]);
    expect(lx.callsTo('GET', /permissions$/).map((x) => [x.query.page, x.query.size])).toEqual([['1', '100'], ['2', '100'], ['3', '100']]);
    const small = await all(client({ pageSize: 30 }).listPermissions());
    expect(new Set(small.map((p) => p.id)).size).toBe(250);
  });

  it('the fake pages as documented: 30 by default, at most 100', async () => {
    for (let i = 0; i < 40; i++) lx.data.addPermission({ email: `u${i}@acme.test` });
    const c = client();
    await c.getPermissionByEmail('ann@acme.test');
    const token = (lx as unknown as { accessTokens: Map<string, unknown> }).accessTokens.keys().next().value as string;
    const get = (q: string) => fetch(`${lx.url}/services/mtm/v1/workspaces/${lx.workspaceId}/permissions${q}`, { headers: { authorization: `Bearer ${token}` } });
    const d = (await (await get('')).json()) as { total: number; data: unknown[] };
    expect([d.total, d.data.length]).toEqual([41, 30]);
    expect((await get('?size=101')).status).toBe(400);
  });

  it('posts back the object as read with only the role changed; unknown fields go back unchanged', async () => {
    const c = client();
    const read = (await c.getPermissionByEmail('ann@acme.test'))!;
    const written = await c.postPermission({ ...read, role: 'MEMBER' });
    expect(written.role).toBe('MEMBER');
    expect(lx.data.posted[0]).toEqual({ ...lx.data.posted[0], tags: ['from-leanix'], user: expect.objectContaining({ account: { id: 'acc-1', name: 'Acme' } }) });
    expect(written).toHaveProperty('tags', ['from-leanix']);
  });

  it("fails LeanIX's own refusal (INVITED to ACTIVE) with LeanIX's words", async () => {
    lx.data.addPermission({ email: 'new@acme.test', status: 'INVITED' });
    const c = client();
    const read = (await c.getPermissionByEmail('new@acme.test'))!;
    const err = await fail(c.postPermission({ ...read, status: 'ACTIVE' }));
    expect(err.code).toBe(LeanixCodes.REFUSED);
    expect(err.leanixMessages).toEqual(['Cannot change the status of an invited user to ACTIVE.']);
    expect(lx.data.permissionOf('new@acme.test')!.status).toBe('INVITED');
  });
});

describe('LeanixClient technical users', () => {
  it('creates, updates, replaces the token of, reads the changelog of and deletes a technical user', async () => {
    const c = client();
    const made = await c.createTechnicalUser({ userName: 'ci-bot', permissionRole: 'VIEWER', apiTokenData: { expiry: '2030-01-01T00:00:00Z' } });
    const first = made.apiTokenData!.token!;
    expect(lx.tokenWorks(first)).toBe(true);
    const read = (await c.getTechnicalUser(made.id))!;
    expect(read.apiTokenData?.token).toBeUndefined();
    const updated = await c.updateTechnicalUser(made.id, { ...read, permissionRole: 'ADMIN' } as never);
    expect(updated.permissionRole).toBe('ADMIN');
    expect(lx.tokenWorks(first)).toBe(true); // an update does not replace the token
    const replaced = await c.replaceToken(made.id);
    expect(lx.tokenWorks(first)).toBe(false);
    expect(lx.tokenWorks(replaced.apiTokenData!.token!)).toBe(true);
    const log = await c.changelog(made.id);
    expect(log.map((e) => e.type)).toEqual(['TechnicalUserTokenReplacedEvent', 'TechnicalUserUpdatedEvent', 'TechnicalUserCreatedEvent']);
    expect(await c.deleteTechnicalUser(made.id)).toBe(true);
    expect(await c.deleteTechnicalUser(made.id)).toBe(false);
    expect(await c.getTechnicalUser(made.id)).toBeNull();
    expect(lx.tokenWorks(replaced.apiTokenData!.token!)).toBe(false);
  });

  it('lists technical users page by page and finds one by its exact name', async () => {
    for (let i = 0; i < 35; i++) lx.data.addTechnicalUser({ userName: `bot-${String(i).padStart(2, '0')}` });
    lx.data.addTechnicalUser({ userName: 'bot' });
    const c = client({ pageSize: 10 });
    expect((await all(c.listTechnicalUsers())).length).toBe(36);
    expect((await c.findTechnicalUserByName('bot'))?.userName).toBe('bot');
    expect(await c.findTechnicalUserByName('nobody')).toBeNull();
  });
});
