import { describe, expect, it } from 'vitest';
import { basicAuthorized } from '../../src/http/bull-board.js';

const creds = { username: 'ops', password: 'correct-horse-battery' };
const header = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('basicAuthorized', () => {
  it('accepts exactly the configured username and password', () => {
    expect(basicAuthorized(header('ops:correct-horse-battery'), creds)).toBe(true);
    expect(basicAuthorized(`basic  ${Buffer.from('ops:correct-horse-battery').toString('base64')}`, creds)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const h of [
      undefined, '', 'Basic', 'Bearer abc', header('ops'), header('ops:'), header(':correct-horse-battery'),
      header('ops:correct-horse-batter'), header('ops:correct-horse-battery '), header('OPS:correct-horse-battery'),
      header('ops:correct-horse-battery:extra'), 'Basic !!!notbase64',
    ]) {
      expect(basicAuthorized(h, creds), String(h)).toBe(false);
    }
  });

  it('keeps everything after the first colon as the password, as RFC 7617 says', () => {
    expect(basicAuthorized(header('ops:pa:ss:word-123'), { username: 'ops', password: 'pa:ss:word-123' })).toBe(true);
  });
});
