import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_TOKEN_PATTERN, generateApiToken, hashApiToken, isApiTokenFormat } from '../../src/domain/api-token.js';

describe('generateApiToken', () => {
  it('makes `lxt_` + 43 base64url characters (256 bits)', () => {
    const { token } = generateApiToken();
    expect(token).toMatch(/^lxt_[A-Za-z0-9_-]{43}$/);
    expect(token).toHaveLength(47);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(isApiTokenFormat(token)).toBe(true);
  });

  it('keeps the SHA-256 hex of the whole token and its last four characters', () => {
    const t = generateApiToken();
    expect(t.hash).toBe(createHash('sha256').update(t.token).digest('hex'));
    expect(t.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(t.lastFour).toBe(t.token.slice(-4));
    expect(t.lastFour).toHaveLength(4);
  });

  it('never repeats itself over 1000 tokens', () => {
    const tokens = Array.from({ length: 1000 }, () => generateApiToken());
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1000);
    expect(new Set(tokens.map((t) => t.hash)).size).toBe(1000);
    expect(tokens.every((t) => API_TOKEN_PATTERN.test(t.token))).toBe(true);
  });
});

describe('hashApiToken', () => {
  it('is SHA-256 in lower-case hex (a known vector)', () => {
    expect(hashApiToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes UTF-8 and distinguishes tokens that differ in one character', () => {
    const t = `lxt_${'A'.repeat(43)}`;
    expect(hashApiToken(t)).not.toBe(hashApiToken(`lxt_${'A'.repeat(42)}B`));
    expect(hashApiToken('é')).toBe(createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  });
});

describe('isApiTokenFormat', () => {
  const body = 'A'.repeat(43);
  it.each([
    ['42 characters', `lxt_${'A'.repeat(42)}`],
    ['44 characters', `lxt_${'A'.repeat(44)}`],
    ['another prefix', `lxa_${body}`],
    ['an upper-case prefix', `LXT_${body}`],
    ['no prefix', body],
    ['base64 +', `lxt_${'A'.repeat(42)}+`],
    ['base64 /', `lxt_${'A'.repeat(42)}/`],
    ['padding', `lxt_${'A'.repeat(42)}=`],
    ['a trailing newline', `lxt_${body}\n`],
    ['surrounding spaces', ` lxt_${body} `],
  ])('refuses %s', (_why, s) => expect(isApiTokenFormat(s)).toBe(false));

  it('accepts every base64url character', () => {
    expect(isApiTokenFormat(`lxt_${'Az09_-'.repeat(7)}x`)).toBe(true);
  });
});
