/**
 * Where webhooks may go: https only (http for a loopback host named as such), no private or
 * link-local address without allowPrivate, never the metadata service; names resolved at each
 * delivery and the connection made to the address checked (DNS rebinding refused).
 */
import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { Seed } from '../../src/app/seed.js';
import { addressProblem, classifyAddress, urlProblem } from '../../src/app/webhook-addresses.js';
import { signature } from '../../src/domain/webhook.js';
import { httpPoster } from '../../src/webhooks/http-post.js';
import { testSeed } from '../helpers/keywarden.js';
import { Receiver } from '../helpers/receiver.js';

describe('webhook URLs as written', () => {
  it.each([
    ['https://siem.example/k', false, null],
    ['http://siem.example/k', false, 'must be https://'],
    ['http://127.0.0.1:9000/k', false, null],
    ['http://localhost/k', false, null],
    ['https://10.1.2.3/k', false, 'private address'],
    ['https://10.1.2.3/k', true, null],
    ['https://169.254.10.1/k', false, 'link-local address'],
    ['https://169.254.169.254/latest', true, 'metadata service'],
    ['https://[fd00:ec2::254]/', true, 'metadata service'],
    ['https://[::ffff:192.168.1.1]/k', false, 'private address'],
    ['https://user:pw@siem.example/k', false, 'credentials'],
    ['not a url', false, 'is not a URL'],
  ])('%s (allowPrivate %s): %s', (url, allowPrivate, problem) => {
    const got = urlProblem(url, allowPrivate);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toContain(problem);
  });

  it('classifies addresses', () => {
    expect(['8.8.8.8', '127.0.0.5', '172.20.0.1', '100.64.0.1', '169.254.1.1', '169.254.169.254', '0.0.0.0', '2001:db8::1', 'fe80::1', 'fc00::1'].map(classifyAddress))
      .toEqual(['public', 'loopback', 'private', 'private', 'link-local', 'metadata', 'unusable', 'public', 'link-local', 'private']);
    expect(addressProblem('127.0.0.1', { allowPrivate: false, loopbackAllowed: false })).toContain('loopback');
  });

  it('the seed file refuses a bad hook with the field and the reason', () => {
    const seed = testSeed();
    (seed.workspaces[0] as Record<string, unknown>).webhooks = [{ url: 'https://192.168.0.9/x', secretEnv: 'KEYWARDEN_WEBHOOK_A', events: ['history'] }];
    const r = Seed.safeParse(seed);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['workspaces', 0, 'webhooks', 0, 'url'] });
    (seed.workspaces[0] as Record<string, unknown>).webhooks = [{ url: 'https://siem.example/x', secretEnv: 'KEYWARDEN_SECRET', events: ['history'] }];
    expect(Seed.safeParse(seed).error!.issues[0]!.path).toEqual(['workspaces', 0, 'webhooks', 0, 'secretEnv']);
  });

  it('signs "t.body" with HMAC-SHA256', () => {
    expect(signature('s', '{}', 1700000000)).toBe(`t=1700000000,v1=${createHmac('sha256', 's').update('1700000000.{}').digest('hex')}`);
    expect(signature('s', '{}', 1)).not.toBe(signature('s', '{} ', 1));
  });
});

describe('at delivery: the name is resolved and the address checked', () => {
  const resolver = (answers: string[][]) => {
    let n = 0;
    return ((_host: string, _o: unknown, cb: (err: Error | null, a: LookupAddress[]) => void) => {
      const list = answers[Math.min(n++, answers.length - 1)]!;
      cb(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    }) as never;
  };

  it('refuses a name that resolves to the metadata service or a private address, and never connects', async () => {
    const receiver = await Receiver.start();
    try {
      const url = `http://localhost:${receiver.port}/hook`;
      // localhost is named as loopback, so it may be reached; the names below resolve elsewhere.
      const metadata = await httpPoster(1000, resolver([['169.254.169.254']]))(`https://meta.example:${receiver.port}/`, '{}', {}, { allowPrivate: true });
      expect(metadata).toMatchObject({ status: null, error: expect.stringContaining('metadata service') });
      const priv = await httpPoster(1000, resolver([['10.0.0.7']]))(`https://intranet.example:${receiver.port}/`, '{}', {}, { allowPrivate: false });
      expect(priv.error).toContain('private address');
      const mixed = await httpPoster(1000, resolver([['93.184.216.34', '192.168.1.1']]))(`https://mixed.example/`, '{}', {}, { allowPrivate: false });
      expect(mixed.error).toContain('private address');
      const rebound = await httpPoster(1000, resolver([['127.0.0.1']]))(`http://rebind.example:${receiver.port}/`, '{}', {}, { allowPrivate: false });
      expect(rebound.error).toContain('loopback');
      expect(receiver.got).toHaveLength(0);
      expect((await httpPoster(1000)(url, '{"a":1}', { 'x-test': '1' }, { allowPrivate: false })).status).toBe(200);
      expect(receiver.got).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  });
});
