/**
 * API tokens: `lxt_` + 43 base64url characters (256 random bits from the CSPRNG). Only the
 * SHA-256 hash and the last four characters are ever kept; tokens are looked up by hash, so the
 * plaintext is never compared or stored.
 */
import { createHash, randomBytes } from 'node:crypto';

export const API_TOKEN_PATTERN = /^lxt_[A-Za-z0-9_-]{43}$/;

export const hashApiToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const isApiTokenFormat = (s: string): boolean => API_TOKEN_PATTERN.test(s);

export interface NewApiToken {
  /** The plaintext: shown once to its owner, then forgotten. */
  token: string;
  hash: string;
  lastFour: string;
}

export function generateApiToken(): NewApiToken {
  const token = `lxt_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashApiToken(token), lastFour: token.slice(-4) };
}
