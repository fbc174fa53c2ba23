/**
 * The signing key ring on its own (memory store, a clock the test moves): a key made once and kept
 * sealed, shared by every process on the store, cached, rotated with the old key kept published
 * until its tokens lapse; or one key from ACCESS_TOKEN_PRIVATE_KEY.
 */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, exportPKCS8, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { AccessTokenService, ACCESS_TOKEN_LIFETIME_SECONDS } from '../../src/app/access-tokens.js';
import type { Clock, SigningKeyRepository, Store } from '../../src/app/ports.js';
import { loadConfig } from '../../src/config.js';
import { JoseAccessTokenSigner } from '../../src/crypto/access-token-signer.js';
import { SigningKeyRing } from '../../src/crypto/signing-keys.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { addTechnicalUser } from './api-client.js';
import { DEFAULT_POLICY } from '../../src/domain/workspace.js';
import { OTHER_KEYWARDEN_SECRET, TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';

const SECRET = TEST_KEYWARDEN_SECRET;
const HOUR = 3600_000;

class ManualClock implements Clock {
  private t = new Date('2030-01-01T09:00:00.000Z').getTime();
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t += ms;
  }
}

const ring = (store: Store, clock: Clock, o: { secret?: string; configuredKey?: string; keys?: SigningKeyRepository } = {}) =>
  new SigningKeyRing({
    keys: o.keys ?? store.signingKeys, secret: o.secret ?? SECRET, clock, tokenLifetimeSeconds: ACCESS_TOKEN_LIFETIME_SECONDS,
    configuredKey: o.configuredKey,
  });

const service = (store: Store, clock: Clock, keys: SigningKeyRing) =>
  new AccessTokenService({ store, clock, log: createLog('silent'), signer: new JoseAccessTokenSigner(keys) });

/** The store's key repository, counting its reads. */
function counting(store: Store) {
  const reads = { n: 0 };
  const keys: SigningKeyRepository = {
    list: () => {
      reads.n++;
      return store.signingKeys.list();
    },
    insertIfAbsent: (k) => store.signingKeys.insertIfAbsent(k),
    retire: (id, at) => store.signingKeys.retire(id, at),
  };
  return { keys, reads };
}

describe('a key generated once', () => {
  it('is kept in the store sealed, and published without its private part', async () => {
    const store = createMemoryStore();
    const keys = ring(store, new ManualClock());
    await keys.ready();
    const [record, ...others] = await store.signingKeys.list();
    expect(others).toEqual([]);
    expect(record).toMatchObject({ generation: 1, alg: 'ES256', retiresAt: null });
    expect(record!.sealed.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(record!.sealed)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: record!.id });
    expect(record!.sealed).not.toMatch(/PRIVATE KEY|"d"/);

    const published = await keys.publicKeys();
    expect(published).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: record!.id, alg: 'ES256', use: 'sig' }]);
    const { kid: _, alg: __, use: ___, ...jwk } = published[0]!;
    expect(await calculateJwkThumbprint(jwk as { kty: string; crv: string; x: string; y: string })).toBe(record!.id);
  });

  it('is shared by two services on one store, even when they start together', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock();
    const [a, b] = [ring(store, clock), ring(store, clock)];
    await Promise.all([a.ready(), b.ready()]);
    expect(await store.signingKeys.list()).toHaveLength(1);
    expect((await a.signingKey()).kid).toBe((await b.signingKey()).kid);

    // A token one process issued is good at the other (of an active workspace: a retired one's are refused).
    await store.workspaces.upsert({
      id: 'ws-1', name: 'ws-1', slack: { teamId: 'T1', approvalsChannel: 'C1', notificationChannels: [] }, admins: [], approvers: [], policy: DEFAULT_POLICY,
    });
    const { tu, token } = await addTechnicalUser(store, { workspaceId: 'ws-1', role: 'ADMIN', now: clock.now() });
    const issued = await service(store, clock, a).exchange(token);
    expect(decodeProtectedHeader(issued.accessToken).kid).toBe((await b.signingKey()).kid);
    expect(await service(store, clock, b).authenticate(issued.accessToken)).toEqual({
      technicalUserId: tu.id, userName: tu.userName, workspaceId: 'ws-1', role: 'ADMIN',
    });
  });

  it('cannot be opened with another KEYWARDEN_SECRET, which stops the start with a clear error', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock();
    await ring(store, clock).ready();
    await expect(ring(store, clock, { secret: OTHER_KEYWARDEN_SECRET }).ready()).rejects.toThrow(/cannot be opened \(was KEYWARDEN_SECRET changed\?\)/);
  });

  it('is read from the store at most once a minute', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock();
    const { keys, reads } = counting(store);
    const r = ring(store, clock, { keys });
    await Promise.all(Array.from({ length: 10 }, () => r.signingKey()));
    const first = reads.n;
    expect(first).toBeLessThanOrEqual(2); // a read, and one more after making the first key
    for (let i = 0; i < 20; i++) await r.signingKey();
    await r.publicKeys();
    expect(reads.n).toBe(first);
    clock.advance(61_000);
    await r.signingKey();
    expect(reads.n).toBe(first + 1);
  });
});

describe('rotation', () => {
  it('a new key signs; the old one stays published until the last token it signed has lapsed', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock();
    const [a, b] = [ring(store, clock), ring(store, clock)];
    const signer = new JoseAccessTokenSigner(a);
    const old = (await a.signingKey()).kid;
    const now = () => Math.floor(clock.now().getTime() / 1000);
    const claims = () => ({ sub: 'tu', name: 'bot', workspaceId: 'ws', role: 'ADMIN' as const, tkh: '0123456789abcdef', jti: 'j', iat: now(), exp: now() + 3600 });
    const oldToken = await signer.sign(claims());

    clock.advance(10 * 60_000);
    expect((await a.signingKey()).kid).toBe(old); // a's cache is fresh from here on
    const fresh = await b.rotate();
    expect(fresh).not.toBe(old);
    expect((await b.signingKey()).kid).toBe(fresh);
    expect((await store.signingKeys.list()).map((k) => [k.id, k.retiresAt])).toEqual([[fresh, null], [old, clock.now()]]);

    // The other process still signs with the old key for up to a minute (it is still published), but
    // learns of the new one at once from a token with a kid it does not know.
    expect((await a.signingKey()).kid).toBe(old);
    const newToken = await new JoseAccessTokenSigner(b).sign(claims());
    expect(await signer.verify(newToken, clock.now())).toMatchObject({ sub: 'tu' });
    expect((await a.publicKeys()).map((k) => k.kid)).toEqual([fresh, old]);
    expect(await signer.verify(oldToken, clock.now())).toMatchObject({ sub: 'tu' });
    // Made-up kids re-read the store at most once a second.
    const { keys: countingKeys, reads } = counting(store);
    const c = ring(store, clock, { keys: countingKeys });
    await c.ready();
    const before = reads.n;
    for (let i = 0; i < 10; i++) expect(await c.verificationKey(`made-up-${i}`)).toBeNull();
    expect(reads.n - before).toBe(1);
    clock.advance(60_000);
    expect((await a.signingKey()).kid).toBe(fresh);

    // Processes that had not heard of the rotation may have signed with the old key for up to a
    // minute after it retired; an hour after that, it is gone.
    clock.advance(HOUR - 1);
    expect((await b.publicKeys()).map((k) => k.kid)).toEqual([fresh, old]);
    clock.advance(2);
    expect((await b.publicKeys()).map((k) => k.kid)).toEqual([fresh]);
    expect(await b.verificationKey(old)).toBeNull();
    // The record itself stays (no deletion needed): it is simply no longer published.
    expect(await store.signingKeys.list()).toHaveLength(2);
  });

  it('two processes rotating at once agree on one new key', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock();
    const [a, b] = [ring(store, clock), ring(store, clock)];
    await a.ready();
    const [x, y] = await Promise.all([a.rotate(), b.rotate()]);
    expect(x).toBe(y);
    const keys = await store.signingKeys.list();
    expect(keys.map((k) => [k.generation, k.retiresAt === null])).toEqual([[2, true], [1, false]]);
  });
});

describe('a configured key (ACCESS_TOKEN_PRIVATE_KEY)', () => {
  it('is the only key, named by its thumbprint; nothing is stored and it is not rotated here', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportJWK } = await import('jose');
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const store = createMemoryStore();
    const keys = ring(store, new ManualClock(), { configuredKey: await exportPKCS8(privateKey) });
    await keys.ready();
    expect((await keys.signingKey()).kid).toBe(kid);
    expect((await keys.publicKeys()).map((k) => k.kid)).toEqual([kid]);
    expect(await store.signingKeys.list()).toEqual([]);
    await expect(keys.rotate()).rejects.toThrow(/replacing that setting/);
  });

  it('is checked at start: a P-256 PKCS#8 PEM, also on one line with \\n', async () => {
    const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'signing-secret', KEYWARDEN_SECRET: SECRET };
    const pem = await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey);
    expect(loadConfig({ ...base, ACCESS_TOKEN_PRIVATE_KEY: pem }).ACCESS_TOKEN_PRIVATE_KEY).toBe(pem.trim());
    expect(loadConfig({ ...base, ACCESS_TOKEN_PRIVATE_KEY: pem.trim().replaceAll('\n', '\\n') }).ACCESS_TOKEN_PRIVATE_KEY).toBe(pem.trim());
    expect(loadConfig(base).ACCESS_TOKEN_PRIVATE_KEY).toBeUndefined();

    const pemOf = (type: 'rsa' | 'ec', opts: object, format: 'pkcs8' | 'sec1' = 'pkcs8') =>
      generateKeyPairSync(type as 'ec', { ...opts, privateKeyEncoding: { type: format, format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } } as never).privateKey as unknown as string;
    const wrong = [
      pemOf('rsa', { modulusLength: 2048 }),
      pemOf('ec', { namedCurve: 'P-384' }),
      pemOf('ec', { namedCurve: 'P-256' }, 'sec1'),
      'not a key',
      `-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----`,
    ];
    for (const key of wrong) {
      let message = '';
      try {
        loadConfig({ ...base, ACCESS_TOKEN_PRIVATE_KEY: key });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toBe('Invalid configuration: ACCESS_TOKEN_PRIVATE_KEY must be a P-256 (ES256) private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)');
    }
  });
});
