/**
 * How much guessing a secret such as KEYWARDEN_SECRET stands, estimated from the text alone. With
 * a copy of the database, a guessable KEYWARDEN_SECRET opens the sealed signing key and every
 * token waiting to be revealed, so a length check is not enough: `'a'.repeat(32)` is 32 bytes.
 *
 * The estimate counts only what the text does not repeat. It reads the text left to right, as a
 * compressor would, and prices each piece:
 * - a copy of earlier text (3 characters or more, `Summer2026!Pw#x` typed three times) costs only
 *   where it starts and how long it is: log2(position) + log2(length) bits;
 * - a word (`keywarden`, `Production`: 5 or more lower-case letters, perhaps after a capital,
 *   with no three consonants in a row) costs WORD_BITS_PER_LETTER a letter, about what English
 *   text holds, not what random letters do;
 * - a character that continues a run (`aaaa`, `abcd`, `1357`) costs nothing;
 * - any other character costs the text's per-character Shannon entropy (from its own counts).
 * A compressor's output length (node:zlib) cannot do this for a 32- to 64-character text: its
 * headers and fixed codes cost more than the repeats save, so it rates 64 random hex characters at
 * 400 bits and `Summer2026!Pw#x` three times at 160.
 *
 * Measured when this was written (100,000 secrets of each kind; test/config.test.ts runs 600):
 * `openssl rand -base64 48` (384 bits) estimated 264 to 356 bits (before: 285 to 356);
 * `openssl rand -hex 32` (256) 199 to 255 (205 to 255); 32 random bytes as base64url (256) 157 to
 * 227 (178 to 227): none refused. `Summer2026!Pw#x` three times: 58 bits (before: 164);
 * `keywarden-production-secret-2026`: 91 (131); `MyCompany-Keywarden-Secret-2026!`: 100 (135):
 * all refused now. Shorter random secrets sit near the line: of 20 to 24 random bytes about 1 in
 * 100 is refused (before: 1 in 250 to 800), hence `openssl rand -base64 48` in the refusal.
 * It cannot tell a phrase of random dictionary words from one of common words either.
 */
export const MIN_SECRET_BITS = 128;
export const MIN_SECRET_DISTINCT = 12;
export const MAKE_A_SECRET = 'openssl rand -base64 48';
/** What a letter of a word is worth: English text holds about 1 to 2.5 bits a letter. */
export const WORD_BITS_PER_LETTER = 2.5;

/** 5 or more letters, lower-case but for a capital first: a word, as people type them. */
const WORD = /^[A-Z]?[a-z]{5,}/;

export function estimateSecretBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / chars.length) * Math.log2(n / chars.length);
  const codes = chars.map((c) => c.codePointAt(0)!);
  const inRun = (i: number) => i >= 2 && codes[i]! - codes[i - 1]! === codes[i - 1]! - codes[i - 2]!;

  let bits = 0;
  for (let i = 0; i < chars.length; ) {
    const copy = longestEarlierCopy(chars, i);
    const word = wordAt(chars, i);
    if (copy >= 3 && copy >= word) {
      bits += Math.log2(i) + Math.log2(copy);
      i += copy;
    } else if (word) {
      // A run inside the word (`abcd`) counts nothing, as anywhere else.
      for (let j = i; j < i + word; j++) bits += inRun(j) ? 0 : Math.min(perChar, WORD_BITS_PER_LETTER);
      bits += chars[i] !== chars[i]!.toLowerCase() ? 1 : 0;
      i += word;
    } else {
      bits += inRun(i) ? 0 : perChar;
      i++;
    }
  }
  return bits;
}

/**
 * The length of the word starting at `i` (0: none): letters as WORD has them, pronounceable (no
 * three consonants in a row, `y` counting as a vowel), as words people choose are and as runs of
 * random letters (`pnxmjgr`) are not.
 */
function wordAt(chars: string[], i: number): number {
  const w = WORD.exec(chars.slice(i, i + 40).join(''))?.[0];
  return w && !/[^aeiouy]{3}/i.test(w) ? w.length : 0;
}

/** The length of the longest copy of earlier text starting at `i` (it may overlap itself, as `abab…` does). */
function longestEarlierCopy(chars: string[], i: number): number {
  let best = 0;
  for (let start = 0; start < i; start++) {
    let n = 0;
    while (i + n < chars.length && chars[start + n] === chars[i + n]) n++;
    if (n > best) best = n;
  }
  return best;
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
