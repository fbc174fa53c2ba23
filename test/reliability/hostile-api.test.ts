/**
 * Hostile and malformed input against the running HTTP API: property-based (fast-check) bodies,
 * query strings, paths and credentials through the real server, then MongoDB operator injection,
 * oversized input, and unicode look-alikes. Whatever arrives, the answer is a 2xx or a clear 4xx in
 * the API's envelope (OAuth's shape for the token exchange), never a 500, and the rules hold.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailKey } from '../../src/domain/user.js';
import { accessTokenFor, addTechnicalUser, basic, call, exchange, listPath, PERMISSIONS_PATH, TOKEN_PATH } from '../api/api-client.js';
import { startTestApp, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { recordFigures, size } from './figures.js';

const PERMISSION_ID = '04259076-8cbc-418e-9d2f-20144d5d8bda';
const RUNS = size(150, 2000);

let t: TestApp;
let base: string;
let adminJwt: string;
let adminToken: string;
const tried: Record<string, number> = {};
const statuses: Record<string, number> = {};

beforeAll(async () => {
  // The limits are not what is tested here: fuzzing is not to be turned away with 429s.
  t = await startTestApp({ env: { TOKEN_EXCHANGE_PER_ADDRESS_PER_MINUTE: '1000000', TOKEN_EXCHANGE_PER_TOKEN_PER_MINUTE: '1000000' } });
  base = t.kw.url!;
  const admin = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', userName: 'fuzz-admin', now: new Date() });
  adminToken = admin.token;
  adminJwt = await accessTokenFor(base, adminToken);
});
afterAll(async () => {
  recordFigures('hostile-api', { inputsTried: tried, statuses, total: Object.values(tried).reduce((a, b) => a + b, 0) });
  await t?.stop();
});

function count(kind: string, status: number) {
  tried[kind] = (tried[kind] ?? 0) + 1;
  statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
}

/** The API's error envelope, or its success envelope. */
function expectEnvelope(json: any, status: number) {
  expect(json).toMatchObject({ status: status < 300 ? 'OK' : 'ERROR', type: 'Permission', errors: expect.any(Array), total: expect.any(Number) });
  if (status >= 300) expect(json.errors[0].message).toEqual(expect.any(String));
}

const injection = fc.constantFrom<unknown>(
  { $gt: '' }, { $ne: null }, { $where: 'sleep(1000)' }, { $regex: '.*' }, { $in: ['ADMIN'] }, ['ADMIN'], null, true, 0, -1, 1e308,
  '', ' ', '\u0000', '$gt', "'; db.dropDatabase(); //", '{"$gt":""}', 'x'.repeat(5000), 'ADMIN\u200b', 'АDMIN', 'ａｄｍｉｎ',
  PERMISSION_ID, WS_ID, WS2_ID, 'ADMIN', 'MEMBER', 'VIEWER', 'ACTIVE', 'INVITED', 'ARCHIVED', '__proto__', { __proto__: { role: 'ADMIN' } },
);
const anyValue = fc.oneof(injection, fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 40 }));

describe('property: any body to POST /permissions', () => {
  it('is answered with 200 or a clear 4xx in the envelope, and never breaks a rule', async () => {
    const body = fc.oneof(
      // A permission as GET shows it, with any of its fields replaced by anything.
      fc.record({ id: anyValue, workspaceId: anyValue, role: anyValue, status: anyValue, user: anyValue }, { requiredKeys: [] })
        .map((o) => JSON.stringify(o)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom('{', '{"id":', '[', '"', 'nul', '{"a":1}{"b":2}', '\ufeff{}', '{'.repeat(5000), '1e999', '{"id":"\\ud800"}'),
    );
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'text/plain', '');
    await fc.assert(
      fc.asyncProperty(body, contentType, async (raw, type) => {
        const a = await call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, raw, headers: type ? { 'content-type': type } : {} });
        count('POST /permissions body', a.status);
        expect([200, 400, 404, 409, 413, 415], `${a.status} for ${raw.slice(0, 80)}`).toContain(a.status);
        expectEnvelope(a.json, a.status);
        if (a.status === 200) {
          expect(['VIEWER', 'MEMBER', 'ADMIN']).toContain(a.json.data.role);
          expect(['INVITED', 'ACTIVE', 'ARCHIVED']).toContain(a.json.data.status);
        }
      }),
      { numRuns: RUNS },
    );
    // Whatever was accepted, no permission went from INVITED to ACTIVE.
    const john = (await t.store.permissions.findById(PERMISSION_ID))!;
    const lines = await t.store.history.listBySubject('permission', john.id, 1000);
    expect(lines.filter((h) => h.before?.status === 'INVITED' && h.after?.status === 'ACTIVE')).toEqual([]);
  }, 120_000);
});

describe('property: any query string and path to GET .../permissions', () => {
  it('is answered with 200 or a clear 4xx; an email filter only ever matches that email', async () => {
    const key = fc.oneof(fc.constantFrom('email', 'q', 'status', 'email[$gt]', 'email[$ne]', 'status[$in][]', '__proto__', 'constructor', 'Email', ''), fc.string({ maxLength: 12 }));
    const value = fc.oneof(
      fc.constantFrom('', 'john.doe@meshlab.de', 'JOHN.DOE@MESHLAB.DE', '\u212Aate@meshlab.de', 'j\u043ehn.doe@meshlab.de', 'john.doe@meshlab.de\u0000', '\ufeffjohn.doe@meshlab.de',
        'ACTIVE', 'active', '{"$gt":""}', '.*', 'x'.repeat(300), '%', '%E0%A4%A', '%00'),
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    const pair = fc.tuple(key, value, fc.boolean());
    const workspace = fc.oneof(fc.constant(WS_ID), fc.constant(WS2_ID), fc.constantFrom('%2e%2e', '..', '%E0%A4%A', '{"$gt":""}', 'x'.repeat(3000)), fc.string({ maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { maxLength: 4 }), workspace, async (pairs, ws) => {
        const query = pairs.map(([k, v, raw]) => (raw ? `${k}=${v}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
        const path = `/services/mtm/v1/workspaces/${ws === WS_ID || ws === WS2_ID ? ws : encodeURIComponent(ws)}/permissions?${query}`;
        let a;
        try {
          a = await call(base, 'GET', path.replace(/[\s#]/g, '%20'), { bearer: adminJwt });
        } catch (err) {
          // A URL the client itself refuses to send is not a test of the server.
          if (err instanceof TypeError) return;
          throw err;
        }
        count('GET permissions query', a.status);
        expect([200, 400, 403, 404, 405, 414], `${a.status} for ${path.slice(0, 120)}`).toContain(a.status);
        if (a.status === 414) return;
        expectEnvelope(a.json, a.status);
        const email = new URL(`http://x${path.replace(/[\s#]/g, '%20')}`).searchParams.get('email');
        if (a.status === 200 && email) {
          for (const p of a.json.data) expect(emailKey(p.user.email)).toBe(emailKey(email));
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});

describe('property: any credentials and body to the token exchange', () => {
  it('is answered 200 only for the real token, otherwise 400 or the one 401, in OAuth shape', async () => {
    const secret = fc.oneof(fc.constant(adminToken), fc.constantFrom('', '{"$gt":""}', 'lxt_', `${adminToken}x`, adminToken.toUpperCase(), 'lxt_' + 'A'.repeat(43)), fc.string({ maxLength: 60 }));
    const user = fc.oneof(fc.constant('apitoken'), fc.constantFrom('', 'APITOKEN', 'apitoken ', '$gt'), fc.string({ maxLength: 10 }));
    const header = fc.oneof(
      fc.tuple(user, secret).map(([u, s]) => basic(s, u)),
      fc.constantFrom('Basic', 'Basic ', 'Basic ====', 'Bearer x', 'basic ' + Buffer.from('apitoken:x').toString('base64'), 'Basic ' + 'A'.repeat(8000)),
      fc.stringMatching(/^[ -~]{0,80}$/),
    );
    const body = fc.oneof(fc.constant('grant_type=client_credentials'), fc.constantFrom('', 'grant_type=password', 'grant_type[$ne]=x', 'grant_type=client_credentials&grant_type=x'), fc.string({ maxLength: 60 }));
    await fc.assert(
      fc.asyncProperty(header, body, async (authorization, b) => {
        const res = await fetch(`${base}${TOKEN_PATH}`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: b });
        const json = (await res.json()) as Record<string, unknown>;
        count('POST token exchange', res.status);
        expect([200, 400, 401], `${res.status} for ${authorization.slice(0, 60)} / ${b.slice(0, 40)}`).toContain(res.status);
        if (res.status === 200) {
          expect(authorization).toBe(basic(adminToken));
          expect(json.token_type).toBe('bearer');
        } else {
          expect(json).toEqual({ error: expect.any(String), error_description: expect.any(String) });
        }
        if (res.status === 401) expect(json).toEqual({ error: 'invalid_client', error_description: 'The API token is not valid.' });
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});

describe('MongoDB operator injection', () => {
  it('is refused in every field of a body, and in query parameter names', async () => {
    const base0 = { id: PERMISSION_ID, workspaceId: WS_ID, role: 'ADMIN', status: 'INVITED' };
    for (const field of ['id', 'workspaceId', 'role', 'status'] as const) {
      for (const op of [{ $gt: '' }, { $ne: null }, { $in: [PERMISSION_ID] }, { $regex: '.*' }]) {
        const a = await call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, body: { ...base0, [field]: op } });
        count('operator injection', a.status);
        expect(a.status, `${field}=${JSON.stringify(op)}`).toBe(400);
        expect(a.json.errors[0].message).toMatch(new RegExp(`^${field} (must|is)`));
      }
    }
    for (const q of ['email[$gt]=', 'email[$ne]=x', 'status[$in][]=ACTIVE', 'q[$regex]=.*', 'email=%7B%22%24gt%22%3A%22%22%7D']) {
      const a = await call(base, 'GET', `${listPath(WS_ID)}?${q}`, { bearer: adminJwt });
      count('operator injection', a.status);
      if (q.startsWith('email=')) {
        // As a value it is only text: it matches no email.
        expect(a.status).toBe(200);
        expect(a.json.total).toBe(0);
      } else {
        expect(a.status, q).toBe(400);
      }
    }
    expect((await t.store.permissions.findById(PERMISSION_ID))!.role).toBe('MEMBER');
  });

  it('is refused as an API token', async () => {
    for (const s of ['{"$gt":""}', '{"$ne":null}', '[object Object]']) {
      const a = await exchange(base, s);
      count('operator injection', a.status);
      expect(a.status).toBe(401);
    }
  });
});

describe('oversized input', () => {
  it('headers, URLs, query values and bodies beyond their limits get a 4xx, and the server stays up', async () => {
    const huge = await fetch(`${base}${listPath(WS_ID)}`, { headers: { authorization: `Bearer ${adminJwt}`, 'x-pad': 'x'.repeat(100_000) } });
    expect(huge.status).toBe(431);
    const longUrl = await call(base, 'GET', `${listPath(WS_ID)}?q=${'x'.repeat(20_000)}`, { bearer: adminJwt });
    expect([400, 414, 431]).toContain(longUrl.status);
    const bigBody = await call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, raw: JSON.stringify({ id: 'x'.repeat(1_000_000) }) });
    expect(bigBody.status).toBe(413);
    const bigToken = await exchange(base, 'x'.repeat(60_000));
    expect([400, 401, 413, 431]).toContain(bigToken.status);
    const slack = await fetch(`${base}/slack/events`, { method: 'POST', body: 'x'.repeat(2_000_000), headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then((r) => r.status, () => 413);
    expect([401, 413]).toContain(slack);
    for (const s of [huge.status, longUrl.status, bigBody.status, bigToken.status, slack]) count('oversized', s);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('unicode look-alikes and invisible characters in emails', () => {
  it('never match a real user: not by case folding (Kelvin sign), not by Cyrillic letters, not by invisible marks', async () => {
    // jane.roe exists; these only look like her address.
    const lookalikes = ['jane.r\u043ee@meshlab.de', 'j\u0430ne.roe@meshlab.de', '\ufeffjane.roe@meshlab.de', 'jane.roe@meshlab.de\u200b', 'jane.roe\uff20meshlab.de', 'JANE.ROE@MESHLAB.DE\u0000'];
    // A user whose address folds from a look-alike: the Kelvin sign lower-cases to "k".
    await t.store.users.ensure({ id: '0f8a3f2c-4b9e-4d67-9c1a-7d3e2b1a0c55', email: 'kate@meshlab.de', userName: 'kate', firstName: 'Kate', lastName: 'K' });
    await t.store.permissions.insert({
      id: '1a2b3c4d-0000-4000-8000-000000000001', userId: '0f8a3f2c-4b9e-4d67-9c1a-7d3e2b1a0c55', workspaceId: WS_ID, role: 'VIEWER', status: 'ACTIVE',
      customerRoles: [], accessControlEntities: [], lastLogin: null, version: 0, lastChange: null,
    } as never);
    lookalikes.push('\u212Aate@meshlab.de', '\u212AATE@MESHLAB.DE');
    for (const email of lookalikes) {
      const a = await call(base, 'GET', `${listPath(WS_ID)}?email=${encodeURIComponent(email)}`, { bearer: adminJwt });
      count('look-alike email', a.status);
      expect(a.status, email).toBe(200);
      expect(a.json.total, JSON.stringify(email)).toBe(0);
    }
    // The real ones, in any ASCII case, do match.
    for (const email of ['kate@meshlab.de', 'KATE@meshlab.de', 'Jane.Roe@MeshLab.de']) {
      const a = await call(base, 'GET', `${listPath(WS_ID)}?email=${encodeURIComponent(email)}`, { bearer: adminJwt });
      expect(a.json.total, email).toBe(1);
    }
  });
});
