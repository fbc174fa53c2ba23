/** Keys and tokens: sealing new API tokens, signing and verifying access tokens. */
import type { Role } from '../../domain/permission.js';

/** Seals a token for the time it waits to be revealed; bound to a context (the request id). */
export interface TokenSealer {
  seal(token: string, context: string): Promise<string>;
  /** Throws when the sealed text was not made by us for this context. */
  open(sealed: string, context: string): Promise<string>;
}

/**
 * A key that signs access tokens, as kept in the store: its private half sealed (JWE, key derived
 * from KEYWARDEN_SECRET), never plaintext. `generation` numbers the keys in the order they were
 * made and is unique, so processes racing to make the same key agree on one (first writer wins).
 */
export interface SigningKeyRecord {
  /** The JWK `kid` (RFC 7638 thumbprint of the public key). */
  id: string;
  generation: number;
  alg: 'ES256';
  /** The private key (PKCS#8 PEM) sealed with the key id as context. */
  sealed: string;
  createdAt: Date;
  /** When it stopped signing; null while it may sign. It stays published until its tokens lapse. */
  retiresAt: Date | null;
}

export interface SigningKeyRepository {
  /** Every key, newest generation first. */
  list(): Promise<SigningKeyRecord[]>;
  /**
   * Inserts the key unless one of its generation exists; returns the stored key of that
   * generation (the earlier one when another process got there first).
   */
  insertIfAbsent(key: SigningKeyRecord): Promise<SigningKeyRecord>;
  /**
   * Sets retiresAt to `at` unless it is already set to `at` or earlier; returns the stored key,
   * or null when there is no such key.
   */
  retire(id: string, at: Date): Promise<SigningKeyRecord | null>;
}


/** What an access token says: the technical user, its workspace and role, and which API token it came from. */
export interface AccessTokenClaims {
  /** Technical user id. */
  sub: string;
  /** Technical user's userName. */
  name: string;
  workspaceId: string;
  role: Role;
  /** First 16 hex characters of the API token's hash: a token outlives neither rotation nor deletion. */
  tkh: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
}

/** A public key that verifies access tokens, as published at /.well-known/jwks.json. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: 'sig';
  [member: string]: unknown;
}

/** Signs and verifies access tokens (JWT); implemented with jose in crypto/. */
export interface AccessTokenSigner {
  sign(claims: AccessTokenClaims): Promise<string>;
  /** The claims of a token we signed that has not expired at `now`; null for anything else. */
  verify(token: string, now: Date): Promise<AccessTokenClaims | null>;
  /** The keys that verify tokens still in circulation. */
  publicKeys(): Promise<PublicJwk[]>;
}

