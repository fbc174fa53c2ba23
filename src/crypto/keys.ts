import { hkdfSync } from 'node:crypto';

/**
 * Purpose-bound keys derived from KEYWARDEN_SECRET (HKDF-SHA256), so one configured secret never
 * serves two purposes directly and a leak of one derived key does not expose the others.
 */
export function deriveKey(secret: string, purpose: string, bytes = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'keywarden', purpose, bytes));
}
