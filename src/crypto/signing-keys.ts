/**
 * The keys that sign access tokens (ES256). Either one key from ACCESS_TOKEN_PRIVATE_KEY, or keys
 * generated here and kept in the store with their private halves sealed (JWE dir + A256GCM, key
 * derived from KEYWARDEN_SECRET), so every process signs and verifies with the same ones.
 *
 * Rotation: the newest key that has not retired signs. A retired key signs nothing new but stays
 * published (and accepted) until every token it signed has lapsed: retiresAt + token lifetime (+ the
 * cache period, during which other processes may not have heard of the rotation yet).
 * Keys are read from the store at most once per `cacheMs`, so a token exchange costs no key
 * lookup; a kid we do not know yet (another process just rotated) forces an early re-read.
 */
import {
  calculateJwkThumbprint, compactDecrypt, CompactEncrypt, exportJWK, exportPKCS8, generateKeyPair, importJWK,
  importPKCS8, type CryptoKey,
} from 'jose';
import type { Clock, Log, PublicJwk, SigningKeyRecord, SigningKeyRepository } from '../app/ports.js';
import { deriveKey } from './keys.js';

export const SIGNING_ALG = 'ES256';
const SEAL_PURPOSE = 'signing-key/v1';
/** Unknown kids re-read the store at most this often, so made-up kids cannot hammer it. */
const MIN_REFRESH_MS = 1000;

export interface SigningKeyRingOptions {
  keys: SigningKeyRepository;
  /** KEYWARDEN_SECRET: the sealing key is derived from it. */
  secret: string;
  clock: Clock;
  /** How long the tokens live (s): a retired key stays published this much longer. */
  tokenLifetimeSeconds: number;
  /** ACCESS_TOKEN_PRIVATE_KEY (PKCS#8 PEM). When given it is the only key and the store is not used. */
  configuredKey?: string;
  /** How long keys read from the store are trusted before reading again (ms). Default 60 s. */
  cacheMs?: number;
  log?: Log;
}

/** A key ready for use. */
interface LiveKey {
  kid: string;
  generation: number;
  retiresAt: Date | null;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: PublicJwk;
}

export class SigningKeyRing {
  private readonly opts: SigningKeyRingOptions & { cacheMs: number };
  private readonly sealKey: Uint8Array;
  private cache: { keys: LiveKey[]; loadedAt: number } | null = null;
  private loading: Promise<LiveKey[]> | null = null;
  private lastForcedAt = -Infinity;

  constructor(options: SigningKeyRingOptions) {
    this.opts = { cacheMs: 60_000, ...options };
    if (!(this.opts.tokenLifetimeSeconds > 0)) throw new RangeError('tokenLifetimeSeconds must be positive');
    if (!(this.opts.cacheMs >= 0)) throw new RangeError('cacheMs must not be negative');
    this.sealKey = deriveKey(options.secret, SEAL_PURPOSE);
  }

  /** Loads the keys (making the first one if there is none), so a bad key or secret stops the start. */
  async ready(): Promise<void> {
    await this.signingKey();
  }

  /** The key that signs now: the newest one not retired. */
  async signingKey(): Promise<{ kid: string; privateKey: CryptoKey }> {
    const active = (await this.live()).find((k) => this.signs(k));
    if (active) return active;
    // The cached active key has retired since it was read: read again (which makes a new one).
    const fresh = (await this.live(true)).find((k) => this.signs(k));
    if (!fresh) throw new Error('no signing key is active');
    return fresh;
  }

  /** The public key of `kid` while it is published; null for any other kid. */
  async verificationKey(kid: string): Promise<CryptoKey | null> {
    const find = (keys: LiveKey[]) => keys.find((k) => k.kid === kid && this.published(k))?.publicKey ?? null;
    const found = find(await this.live());
    const now = this.opts.clock.now().getTime();
    if (found || this.opts.configuredKey || now - this.lastForcedAt < MIN_REFRESH_MS) return found;
    this.lastForcedAt = now;
    return find(await this.live(true));
  }

  /** The keys whose tokens may still be in circulation, newest first (for /.well-known/jwks.json). */
  async publicKeys(): Promise<PublicJwk[]> {
    return (await this.live()).filter((k) => this.published(k)).map((k) => ({ ...k.publicJwk }));
  }

  /**
   * Makes a new key and retires the ones that signed until now. Processes rotating at the same
   * moment agree on one new key (the store keeps the first of a generation). Returns its kid.
   */
  async rotate(): Promise<string> {
    if (this.opts.configuredKey) {
      throw new Error('The signing key comes from ACCESS_TOKEN_PRIVATE_KEY; rotate it by replacing that setting.');
    }
    const now = this.opts.clock.now();
    const records = await this.opts.keys.list();
    const created = await this.create(nextGeneration(records), now);
    for (const r of records) {
      if (r.id !== created.id && (r.retiresAt === null || r.retiresAt > now)) await this.opts.keys.retire(r.id, now);
    }
    this.cache = null;
    this.opts.log?.info({ kid: created.id, generation: created.generation }, 'access-token signing key rotated');
    return created.id;
  }

  private signs(k: Pick<LiveKey, 'retiresAt'>): boolean {
    return k.retiresAt === null || k.retiresAt.getTime() > this.opts.clock.now().getTime();
  }

  /**
   * A process that read the keys just before a rotation keeps signing with the old key until its
   * cache expires, so the old key stays published for one cache period more than the token lifetime.
   */
  private published(k: Pick<LiveKey, 'retiresAt'>): boolean {
    if (k.retiresAt === null) return true;
    const lapse = k.retiresAt.getTime() + this.opts.tokenLifetimeSeconds * 1000 + this.opts.cacheMs;
    return lapse > this.opts.clock.now().getTime();
  }

  /** The cached keys, or freshly read ones when the cache is stale (or `force`). One read at a time. */
  private async live(force = false): Promise<LiveKey[]> {
    const now = this.opts.clock.now().getTime();
    const fresh = this.cache && (this.opts.configuredKey || now - this.cache.loadedAt < this.opts.cacheMs);
    if (this.cache && fresh && !force) return this.cache.keys;
    this.loading ??= this.load()
      .then((keys) => {
        this.cache = { keys, loadedAt: this.opts.clock.now().getTime() };
        return keys;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  private async load(): Promise<LiveKey[]> {
    if (this.opts.configuredKey) return [await configuredKey(this.opts.configuredKey)];
    let records = await this.opts.keys.list();
    if (!records.some((r) => this.signs(r))) {
      await this.create(nextGeneration(records), this.opts.clock.now());
      records = await this.opts.keys.list();
    }
    const live = records.filter((r) => this.published(r)).sort((a, b) => b.generation - a.generation);
    return Promise.all(live.map((r) => this.open(r)));
  }

  /** A new key pair for `generation`; returns the stored key of that generation (maybe another process's). */
  private async create(generation: number, now: Date): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const pem = await exportPKCS8(privateKey);
    // The kid rides in the protected header (authenticated by GCM): a sealed key cannot pose as another.
    const sealed = await new CompactEncrypt(new TextEncoder().encode(pem))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
      .encrypt(this.sealKey);
    const stored = await this.opts.keys.insertIfAbsent({
      id: kid, generation, alg: SIGNING_ALG, sealed, createdAt: now, retiresAt: null,
    });
    if (stored.id === kid) this.opts.log?.info({ kid, generation }, 'access-token signing key created');
    return stored;
  }

  private async open(r: SigningKeyRecord): Promise<LiveKey> {
    let pem: string;
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(r.sealed, this.sealKey, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      if (protectedHeader.kid !== r.id) throw new Error('sealed for another key id');
      pem = new TextDecoder().decode(plaintext);
    } catch (err) {
      throw new Error(`signing key ${r.id} cannot be opened (was KEYWARDEN_SECRET changed?): ${(err as Error).message}`);
    }
    const key = await fromPem(pem);
    if (key.kid !== r.id) throw new Error(`signing key ${r.id} holds the key ${key.kid}`);
    return { ...key, generation: r.generation, retiresAt: r.retiresAt };
  }
}

const nextGeneration = (records: SigningKeyRecord[]) => Math.max(0, ...records.map((r) => r.generation)) + 1;

async function configuredKey(pem: string): Promise<LiveKey> {
  return { ...(await fromPem(pem)), generation: 0, retiresAt: null };
}

/** A private key (PKCS#8 PEM) with its public half, as a JWK and a key, and its kid (RFC 7638 thumbprint). */
async function fromPem(pem: string): Promise<Omit<LiveKey, 'generation' | 'retiresAt'>> {
  const privateKey = await importPKCS8(pem, SIGNING_ALG, { extractable: true });
  const { kty, crv, x, y } = await exportJWK(privateKey);
  if (kty !== 'EC' || crv !== 'P-256' || !x || !y) throw new Error('the signing key must be a P-256 key');
  const kid = await calculateJwkThumbprint({ kty, crv, x, y });
  const publicKey = await importJWK({ kty, crv, x, y }, SIGNING_ALG);
  if (publicKey instanceof Uint8Array) throw new Error('expected an EC public key');
  return { kid, privateKey, publicKey, publicJwk: { kty, crv, x, y, kid, alg: SIGNING_ALG, use: 'sig' } };
}
