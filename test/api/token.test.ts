/**
 * POST /services/mtm/v1/oauth2/token and GET /.well-known/jwks.json against the running app:
 * the exchange of the LeanIX document ("request an access token to authenticate"), the JWT it
 * answers with, and every way an API token is refused, each with the very same 401.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken } from '../../src/domain/api-token.js';
import { TestClock } from '../helpers/clock.js';
import { startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, basic, call, exchange, JWKS_PATH, listPath, replaceToken, TOKEN_PATH } from './api-client.js';

const clock = new TestClock();
let t: TestApp;
let base: string;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
  base = t.kw.url!;
});
afterAll(async () => {
  await t?.stop();
});

const add = (o: { role?: 'VIEWER' | 'MEMBER' | 'ADMIN'; expiresInDays?: number } = {}) =>
  addTechnicalUser(t.store, { workspaceId: WS_ID, role: o.role ?? 'ADMIN', now: clock.now(), expiresInDays: o.expiresInDays });

describe('the exchange', () => {
  it('answers exactly the MTM shape, and the JWT names the technical user, workspace and role', async () => {
    const { tu, token } = await add({ role: 'MEMBER' });
    const before = Math.floor(clock.now().getTime() / 1000);
    const a = await exchange(base, token);
    expect(a.status).toBe(200);
    expect(Object.keys(a.json)).toEqual(['scope', 'expired', 'access_token', 'token_type', 'expires_in']);
    expect(a.json).toEqual({ scope: '', expired: false, access_token: expect.any(String), token_type: 'bearer', expires_in: 3599 });
    expect(a.headers.get('cache-control')).toBe('no-store');

    const jwt = a.json.access_token as string;
    const header = decodeProtectedHeader(jwt);
    expect(header).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'at+jwt' });
    const claims = decodeJwt(jwt);
    expect(claims).toEqual({
      iss: 'keywarden', sub: tu.id, name: tu.userName, workspaceId: WS_ID, role: 'MEMBER',
      tkh: sha(token).slice(0, 16), jti: expect.stringMatching(/^[0-9a-f-]{36}$/), iat: expect.any(Number), exp: expect.any(Number),
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(3600);
    // The access token carries no trace of the API token beyond a hash prefix.
    expect(jwt).not.toContain(token);
    expect(t.logs.text).not.toContain(token);
    expect(t.logs.text).not.toContain(jwt);
  });

  it('takes grant_type from the query string too', async () => {
    const { token } = await add();
    const a = await exchange(base, token, { body: '', query: '?grant_type=client_credentials' });
    expect(a.status).toBe(200);
    expect(a.json.token_type).toBe('bearer');
  });

  it('each access token is its own (jti), and each verifies against the published JWKS', async () => {
    const { token } = await add();
    const [one, two] = [await accessTokenFor(base, token), await accessTokenFor(base, token)];
    expect(decodeJwt(one).jti).not.toBe(decodeJwt(two).jti);

    const jwks = await call(base, 'GET', JWKS_PATH);
    expect(jwks.status).toBe(200);
    expect(jwks.json.keys).toEqual([
      { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: decodeProtectedHeader(one).kid, alg: 'ES256', use: 'sig' },
    ]);
    const remote = createRemoteJWKSet(new URL(`${base}${JWKS_PATH}`));
    const { payload } = await jwtVerify(one, remote, { issuer: 'keywarden', algorithms: ['ES256'], currentDate: clock.now() });
    expect(payload.workspaceId).toBe(WS_ID);
  });
});

describe('a request that is wrong is a 400 that says why', () => {
  const cases: Array<[string, () => Promise<Response>, RegExp, string]> = [
    ['no Authorization header', () => post({}), /Authorization header is missing/, 'invalid_request'],
    ['a Bearer header', () => post({ authorization: 'Bearer abc' }), /not HTTP Basic/, 'invalid_request'],
    ['Basic without a colon', () => post({ authorization: `Basic ${Buffer.from('apitoken').toString('base64')}` }), /no password/, 'invalid_request'],
    ['another Basic user', () => post({ authorization: basic(generateApiToken().token, 'admin') }), /must be "apitoken"/, 'invalid_request'],
    ['no grant_type', () => post({ authorization: basic(generateApiToken().token) }, ''), /grant_type is missing/, 'invalid_request'],
    ['grant_type twice', () => post({ authorization: basic(generateApiToken().token) }, 'grant_type=client_credentials&grant_type=client_credentials'), /only once/, 'invalid_request'],
    ['another grant', () => post({ authorization: basic(generateApiToken().token) }, 'grant_type=password'), /Unsupported grant_type "password"/, 'unsupported_grant_type'],
    ['a JSON body', () => post({ authorization: basic(generateApiToken().token), 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}'), /application\/x-www-form-urlencoded/, 'invalid_request'],
  ];
  const post = (headers: Record<string, string>, body = 'grant_type=client_credentials') =>
    fetch(`${base}${TOKEN_PATH}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  it.each(cases)('%s', async (_name, send, why, error) => {
    const res = await send();
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toEqual({ error, error_description: expect.stringMatching(why) });
  });

  it('a body over 64 KB is a 413', async () => {
    const { token } = await add();
    const a = await exchange(base, token, { body: `grant_type=client_credentials&pad=${'x'.repeat(70_000)}` });
    expect(a.status).toBe(413);
  });

  it('GET on the token path is a 405', async () => {
    expect((await call(base, 'GET', TOKEN_PATH)).status).toBe(405);
  });
});

describe('a token that does not work is one and the same 401', () => {
  it('for a wrong, malformed, replaced, deleted or revoked API token', async () => {
    const answers: Array<[string, { status: number; text: string; auth: string | null }]> = [];
    const refuse = async (why: string, token: string) => {
      const a = await exchange(base, token);
      answers.push([why, { status: a.status, text: a.text, auth: a.headers.get('www-authenticate') }]);
    };

    await refuse('never issued', generateApiToken().token);
    await refuse('not a token at all', 'hunter2');
    await refuse('empty', '');

    const replaced = await add();
    const fresh = await replaceToken(t.store, replaced.tu.id, clock.now());
    await refuse('replaced', replaced.token);
    expect((await exchange(base, fresh)).status).toBe(200);

    const deleted = await add();
    expect(await t.store.technicalUsers.delete(deleted.tu.id, deleted.tu.version)).toBe(true);
    await refuse('deleted', deleted.token);

    const revoked = await add();
    await t.store.technicalUsers.update(revoked.tu.id, 1, { token: { ...revoked.tu.token!, revokedAt: clock.now() } });
    await refuse('revoked', revoked.token);

    for (const [why, a] of answers) {
      expect(a, why).toEqual({
        status: 401,
        text: '{"error":"invalid_client","error_description":"The API token is not valid."}',
        auth: 'Basic realm="keywarden"',
      });
    }
  });

  it('and an access token stops working at once when its API token is replaced, deleted or revoked', async () => {
    const works = async (jwt: string) => (await call(base, 'GET', listPath(WS_ID), { bearer: jwt })).status;

    const replaced = await add();
    const jwt1 = await accessTokenFor(base, replaced.token);
    expect(await works(jwt1)).toBe(200);
    const fresh = await replaceToken(t.store, replaced.tu.id, clock.now());
    expect(await works(jwt1)).toBe(401);
    expect(await works(await accessTokenFor(base, fresh))).toBe(200);

    const deleted = await add();
    const jwt2 = await accessTokenFor(base, deleted.token);
    await t.store.technicalUsers.delete(deleted.tu.id, deleted.tu.version);
    expect(await works(jwt2)).toBe(401);

    const revoked = await add();
    const jwt3 = await accessTokenFor(base, revoked.token);
    await t.store.technicalUsers.update(revoked.tu.id, 1, { token: { ...revoked.tu.token!, revokedAt: clock.now() } });
    expect(await works(jwt3)).toBe(401);
  });
});

// Last: these move the shared clock forward.
describe('expiry', () => {
  it('an access token lapses after an hour, though its API token still works', async () => {
    const { token } = await add();
    const jwt = await accessTokenFor(base, token);
    clock.advance(3599_000);
    expect((await call(base, 'GET', listPath(WS_ID), { bearer: jwt })).status).toBe(200);
    clock.advance(2_000);
    const a = await call(base, 'GET', listPath(WS_ID), { bearer: jwt });
    expect(a.status).toBe(401);
    expect(a.json).toEqual({
      status: 'ERROR', type: 'Permission', errors: [{ message: 'The access token is not valid or has expired; request a new one.' }], total: 0, data: null,
    });
    expect(a.headers.get('www-authenticate')).toBe('Bearer realm="keywarden", error="invalid_token"');
    expect((await exchange(base, token)).status).toBe(200);
  });

  it('an expired API token gets the same 401 as a wrong one, and its access tokens stop at once', async () => {
    const wrong = await exchange(base, generateApiToken().token);
    const { token } = await add({ expiresInDays: 2 });
    const jwt = await accessTokenFor(base, token);
    clock.advance(2 * 86_400_000 + 1000);
    const expired = await exchange(base, token);
    expect(expired.status).toBe(401);
    expect(expired.text).toBe(wrong.text);
    expect((await call(base, 'GET', listPath(WS_ID), { bearer: jwt })).status).toBe(401);
  });
});
