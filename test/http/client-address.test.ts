/** The client address behind TRUSTED_PROXIES reverse proxies, from X-Forwarded-For. */
import { describe, expect, it } from 'vitest';
import { resolveClientAddress } from '../../src/http/client-address.js';

describe('resolveClientAddress', () => {
  it('with no trusted proxies, is the socket peer, whatever X-Forwarded-For says', () => {
    expect(resolveClientAddress('10.0.0.5', '203.0.113.9', 0)).toBe('10.0.0.5');
    expect(resolveClientAddress(undefined, undefined, 0)).toBe('unknown');
  });

  it('behind one proxy, is the address that proxy saw, not what the client wrote before it', () => {
    // The load balancer (10.0.0.5) appends the address it was connected from.
    expect(resolveClientAddress('10.0.0.5', '203.0.113.9', 1)).toBe('203.0.113.9');
    // A client that sends its own X-Forwarded-For only adds entries further left.
    expect(resolveClientAddress('10.0.0.5', '198.51.100.1, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(resolveClientAddress('10.0.0.5', ['198.51.100.1', '203.0.113.9'], 1)).toBe('203.0.113.9');
  });

  it('behind two proxies, skips both', () => {
    expect(resolveClientAddress('10.0.0.5', '198.51.100.1, 203.0.113.9, 10.0.0.9', 2)).toBe('203.0.113.9');
  });

  it('with fewer hops than configured, takes the farthest one there is; and caps what it keeps', () => {
    expect(resolveClientAddress('10.0.0.5', undefined, 1)).toBe('10.0.0.5');
    expect(resolveClientAddress('10.0.0.5', '203.0.113.9', 3)).toBe('203.0.113.9');
    expect(resolveClientAddress('10.0.0.5', ` ${'x'.repeat(500)} ,, `, 1)).toHaveLength(64);
  });
});
