/**
 * Signing keys as integrations see them, over HTTP: two Keywarden processes on one store sign with
 * the same key and accept each other's tokens; a rotation keeps the old key in the JWKS until its
 * tokens lapse; a key given by ACCESS_TOKEN_PRIVATE_KEY is the one published.
 */
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_LIFETIME_SECONDS } from '../../src/app/access-tokens.js';
import { SigningKeyRing } from '../../src/crypto/signing-keys.js';
import { TestClock } from '../helpers/clock.js';
import { startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, call, JWKS_PATH, listPath } from './api-client.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;
const jwks = async (base: string) => (await call(base, 'GET', JWKS_PATH)).json as { keys: Array<Record<string, string>> };

describe('two processes on one store, and rotation', () => {
  const clock = new TestClock();
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    one = await startTestApp({ options: { clock } });
    two = await startTestApp({ options: { clock }, store: one.store });
  });
  afterAll(async () => {
    await two?.stop();
    await one?.stop();
  });

  it('both sign with the same kid and accept each other\'s tokens', async () => {
    const { token } = await addTechnicalUser(one.store, { workspaceId: WS_ID, role: 'VIEWER', now: clock.now() });
    const [a, b] = [await accessTokenFor(one.kw.url!, token), await accessTokenFor(two.kw.url!, token)];
    expect(kidOf(a)).toBe(kidOf(b));
    expect(await jwks(one.kw.url!)).toEqual(await jwks(two.kw.url!));
    expect((await call(two.kw.url!, 'GET', listPath(WS_ID), { bearer: a })).status).toBe(200);
    expect((await call(one.kw.url!, 'GET', listPath(WS_ID), { bearer: b })).status).toBe(200);
    expect(await one.store.signingKeys.list()).toHaveLength(1);
  });

  it('a rotation keeps the old key published until the tokens it signed have lapsed', async () => {
    const base = one.kw.url!;
    const { token } = await addTechnicalUser(one.store, { workspaceId: WS_ID, role: 'VIEWER', now: clock.now(), expiresInDays: 30 });
    const before = await accessTokenFor(base, token);
    const old = kidOf(before);

    // An operator's rotation, from a third party on the same store (the test's KEYWARDEN_SECRET).
    const operator = new SigningKeyRing({ keys: one.store.signingKeys, secret: TEST_KEYWARDEN_SECRET, clock, tokenLifetimeSeconds: ACCESS_TOKEN_LIFETIME_SECONDS });
    const fresh = await operator.rotate();
    clock.advance(61_000); // the processes' key caches expire

    const after = await accessTokenFor(base, token);
    expect(kidOf(after)).toBe(fresh);
    const published = await jwks(base);
    expect(published.keys.map((k) => k.kid)).toEqual([fresh, old]);
    for (const k of published.keys) expect(k).toMatchObject({ alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' });
    // Both tokens verify against the JWKS, and both still work.
    const set = createLocalJWKSet(published as never);
    for (const jwt of [before, after]) {
      await expect(jwtVerify(jwt, set, { issuer: 'keywarden', currentDate: clock.now() })).resolves.toBeTruthy();
      expect((await call(base, 'GET', listPath(WS_ID), { bearer: jwt })).status).toBe(200);
    }

    clock.advance(ACCESS_TOKEN_LIFETIME_SECONDS * 1000);
    expect((await jwks(base)).keys.map((k) => k.kid)).toEqual([fresh]);
    expect((await jwks(two.kw.url!)).keys.map((k) => k.kid)).toEqual([fresh]);
  });
});

describe('ACCESS_TOKEN_PRIVATE_KEY', () => {
  let t: TestApp;
  let publicJwk: Awaited<ReturnType<typeof exportJWK>>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    publicJwk = await exportJWK(publicKey);
    const pem = (await exportPKCS8(privateKey)).trim().replaceAll('\n', '\\n');
    t = await startTestApp({ env: { ACCESS_TOKEN_PRIVATE_KEY: pem } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('signs with the configured key, published under its thumbprint, and stores no key', async () => {
    const { token } = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'MEMBER', now: new Date() });
    const jwt = await accessTokenFor(t.kw.url!, token);
    const kid = await calculateJwkThumbprint(publicJwk);
    expect(kidOf(jwt)).toBe(kid);
    expect((await jwks(t.kw.url!)).keys).toEqual([{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }]);
    await expect(jwtVerify(jwt, await importJWK(publicJwk, 'ES256'), { issuer: 'keywarden' })).resolves.toBeTruthy();
    expect(await t.store.signingKeys.list()).toEqual([]);
  });
});
