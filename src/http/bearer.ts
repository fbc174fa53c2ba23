import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * True when the Authorization header is `Bearer <expected>`. Compared as equal-length digests, so
 * the time taken says nothing about how much of a guess was right.
 */
export function bearerAuthorized(header: string | undefined, expected: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const ok = timingSafeEqual(digest(m?.[1] ?? ''), digest(expected));
  return m !== null && ok;
}
