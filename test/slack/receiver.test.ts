import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifySlackSignature } from '../../src/slack/receiver.js';

const SECRET = 'test-signing-secret-0123456789';
const NOW = 1_900_000_000;
const BODY = 'token=x&team_id=T1&user_id=U1&command=%2Fpermission&text=role+a%40b.c+ADMIN';

const sig = (secret: string, ts: string | number, body: string) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

/** A request as Slack would sign it at `ts`, checked at NOW; `over` changes what arrives. */
function check(over: { ts?: number; body?: string; signature?: string | undefined; timestamp?: string | undefined; secret?: string } = {}) {
  const ts = over.ts ?? NOW;
  const body = over.body ?? BODY;
  return verifySlackSignature({
    signingSecret: SECRET,
    body,
    signature: 'signature' in over ? over.signature : sig(over.secret ?? SECRET, ts, BODY),
    timestamp: 'timestamp' in over ? over.timestamp : String(ts),
    nowSeconds: NOW,
  });
}

describe('verifySlackSignature', () => {
  it('accepts a request signed with the signing secret', () => {
    expect(check()).toEqual({ ok: true });
  });

  it('accepts JSON bodies and bodies with non-ASCII text', () => {
    for (const body of ['{"type":"event_callback","event":{"text":"héllo ✓"}}', '']) {
      expect(verifySlackSignature({ signingSecret: SECRET, body, signature: sig(SECRET, NOW, body), timestamp: String(NOW), nowSeconds: NOW }))
        .toEqual({ ok: true });
    }
  });

  it('refuses a signature made with another secret', () => {
    expect(check({ secret: 'another-signing-secret-0123456' })).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses a body changed after signing, even by one character', () => {
    expect(check({ body: BODY.replace('ADMIN', 'ADMIM') })).toMatchObject({ ok: false, reason: 'signature mismatch' });
    expect(check({ body: `${BODY} ` })).toMatchObject({ ok: false });
  });

  it('refuses a timestamp that differs from the signed one', () => {
    const signature = sig(SECRET, NOW - 10, BODY);
    expect(check({ signature, timestamp: String(NOW) })).toMatchObject({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses a missing signature or timestamp header', () => {
    expect(check({ signature: undefined })).toMatchObject({ ok: false, reason: 'signature mismatch' });
    expect(check({ signature: '' })).toMatchObject({ ok: false });
    expect(check({ timestamp: undefined })).toMatchObject({ ok: false, reason: expect.stringMatching(/timestamp/) });
    expect(check({ timestamp: '' })).toMatchObject({ ok: false, reason: expect.stringMatching(/timestamp/) });
  });

  it('refuses signatures of the wrong shape without throwing', () => {
    const good = sig(SECRET, NOW, BODY);
    for (const signature of [good.replace('v0=', 'v1='), good.slice(0, -1), `${good}0`, good.toUpperCase(), 'v0=', 'garbage']) {
      expect(check({ signature })).toMatchObject({ ok: false, reason: 'signature mismatch' });
    }
  });

  it('refuses a correctly signed request 6 minutes old (a replay)', () => {
    expect(check({ ts: NOW - 360 })).toMatchObject({ ok: false, reason: expect.stringMatching(/5 minutes/) });
  });

  it('refuses a correctly signed request dated 6 minutes in the future', () => {
    expect(check({ ts: NOW + 360 })).toMatchObject({ ok: false, reason: expect.stringMatching(/5 minutes/) });
  });

  it('accepts up to five minutes of clock skew either way', () => {
    expect(check({ ts: NOW - 300 })).toEqual({ ok: true });
    expect(check({ ts: NOW + 300 })).toEqual({ ok: true });
    expect(check({ ts: NOW - 301 })).toMatchObject({ ok: false });
    expect(check({ ts: NOW + 301 })).toMatchObject({ ok: false });
  });

  it.each(['abc', '1.9e9', '-1900000000', '1900000000.5', ' 1900000000', '1900000000 ', '0x71494C80', '１９００００００００', '1234567890123'])(
    'refuses the timestamp %j even when the signature covers it',
    (timestamp) => {
      const res = verifySlackSignature({ signingSecret: SECRET, body: BODY, signature: sig(SECRET, timestamp, BODY), timestamp, nowSeconds: NOW });
      expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(/timestamp/) });
    },
  );
});
