/**
 * How much guessing a secret such as KEYWARDEN_SECRET stands, estimated from the text alone. With
 * a copy of the database, a guessable KEYWARDEN_SECRET opens the sealed signing key and every
 * token waiting to be revealed, so a length check is not enough: `'a'.repeat(32)` is 32 bytes.
 *
 * The estimate is the text's per-character Shannon entropy (from its own character counts) times
 * its length, where a character that continues a run (`aaaa`, `abcd`, `1357`) counts for nothing.
 * It undercounts random text (64 characters of base64 from `openssl rand -base64 48` hold 384
 * bits and are estimated at about 320) and so never lets a weak secret through on its account;
 * it cannot see that a phrase is made of dictionary words, which is why the refusal says how to
 * make a random one.
 */
export const MIN_SECRET_BITS = 128;
export const MIN_SECRET_DISTINCT = 12;
export const MAKE_A_SECRET = 'openssl rand -base64 48';

export function estimateSecretBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / chars.length) * Math.log2(n / chars.length);
  const codes = chars.map((c) => c.codePointAt(0)!);
  let inRuns = 0;
  for (let i = 2; i < codes.length; i++) if (codes[i]! - codes[i - 1]! === codes[i - 1]! - codes[i - 2]!) inRuns++;
  return perChar * (chars.length - inRuns);
}

/** Why a secret is too weak, or null when it is strong enough. Never quotes the secret. */
export function secretWeakness(secret: string): string | null {
  if (Buffer.byteLength(secret) < 32) return `must be at least 32 bytes of random text; make one with \`${MAKE_A_SECRET}\``;
  const distinct = new Set(secret).size;
  const bits = Math.floor(estimateSecretBits(secret));
  if (distinct < MIN_SECRET_DISTINCT || bits < MIN_SECRET_BITS) {
    return `is too easy to guess (${distinct} distinct characters, about ${bits} bits; at least ${MIN_SECRET_DISTINCT} and ${MIN_SECRET_BITS} are needed); make one with \`${MAKE_A_SECRET}\``;
  }
  return null;
}
