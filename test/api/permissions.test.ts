/**
 * The MTM permission endpoints against the running app, starting with the two requests of the MTM
 * document replayed as printed (its ids, john.doe@meshlab.de, its headers), then every refusal.
 */
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../helpers/clock.js';
import { startTestApp, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, call, listPath, PERMISSIONS_PATH, type Integration } from './api-client.js';

const USER_ID = 'bdba4b5d-2d63-49ef-a087-045f020294bb';
const PERMISSION_ID = '04259076-8cbc-418e-9d2f-20144d5d8bda';

const clock = new TestClock();
let t: TestApp;
let base: string;
let admin: Integration;
let adminJwt: string;
let viewerJwt: string;
let memberJwt: string;
let otherWsAdminJwt: string;

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
  base = t.kw.url!;
  const add = (workspaceId: string, role: 'VIEWER' | 'MEMBER' | 'ADMIN', userName: string) =>
    addTechnicalUser(t.store, { workspaceId, role, userName, now: clock.now() });
  admin = await add(WS_ID, 'ADMIN', 'sync-admin');
  adminJwt = await accessTokenFor(base, admin.token);
  viewerJwt = await accessTokenFor(base, (await add(WS_ID, 'VIEWER', 'report-viewer')).token);
  memberJwt = await accessTokenFor(base, (await add(WS_ID, 'MEMBER', 'report-member')).token);
  otherWsAdminJwt = await accessTokenFor(base, (await add(WS2_ID, 'ADMIN', 'strict-admin')).token);
});
afterAll(async () => {
  await t?.stop();
});

const get = (query: string, bearer = adminJwt, workspaceId = WS_ID) => call(base, 'GET', `${listPath(workspaceId)}${query}`, { bearer });
const post = (body: unknown, bearer = adminJwt) => call(base, 'POST', PERMISSIONS_PATH, { bearer, body });
const error = (message: string | RegExp) => ({
  status: 'ERROR', type: 'Permission', errors: [{ message: typeof message === 'string' ? message : expect.stringMatching(message) }], total: 0, data: null,
});

/** A permission of the seeded workspace, as GET shows it. */
async function shown(email: string) {
  const a = await get(`?email=${encodeURIComponent(email)}`);
  expect(a.json.total).toBe(1);
  return a.json.data[0];
}

describe('the MTM document, replayed', () => {
  let john: any;

  it('Step 1: GET .../workspaces/{id}/permissions?email=john.doe%40meshlab.de', async () => {
    const a = await call(base, 'GET', `/services/mtm/v1/workspaces/${WS_ID}/permissions?email=john.doe%40meshlab.de`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminJwt}` },
    });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({
      status: 'OK',
      type: 'Permission',
      errors: [],
      total: 1,
      data: [
        {
          id: PERMISSION_ID,
          user: {
            id: USER_ID, userName: 'john.doe@meshlab.de', email: 'john.doe@meshlab.de', firstName: 'John', lastName: 'Doe',
            role: 'ACCOUNTUSER', status: 'ACTIVE',
          },
          workspace: { id: WS_ID, name: 'meshlab' },
          workspaceId: WS_ID,
          role: 'MEMBER',
          status: 'INVITED',
          customerRoles: [],
          accessControlEntities: [],
          lastLogin: null,
        },
      ],
    });
    john = a.json.data[0];
  });

  it('Step 2: POST /services/mtm/v1/permissions with the object, role ADMIN', async () => {
    const a = await call(base, 'POST', '/services/mtm/v1/permissions', {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminJwt}` },
      // As the document sends it: the object as returned, with members we do not know left in.
      raw: JSON.stringify({ ...john, role: 'ADMIN', user: { ...john.user, account: { id: 'acc-1' } } }),
    });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ status: 'OK', type: 'Permission', errors: [], total: 0, data: { ...john, role: 'ADMIN', status: 'INVITED' } });

    expect(await t.store.permissions.findById(PERMISSION_ID)).toMatchObject({ role: 'ADMIN', status: 'INVITED' });
    const [entry, ...older] = await t.store.history.listBySubject('permission', PERMISSION_ID, 10);
    expect(older).toEqual([]);
    expect(entry).toMatchObject({
      workspaceId: WS_ID,
      subject: { type: 'permission', id: PERMISSION_ID, label: 'john.doe@meshlab.de' },
      action: 'permission.updated',
      actor: { type: 'technicalUser', id: admin.tu.id, name: 'sync-admin' },
      requestId: null,
      before: { role: 'MEMBER' },
      after: { role: 'ADMIN' },
    });
  });

  it('sending the same object again changes nothing and is still a 200', async () => {
    const now = await shown('john.doe@meshlab.de');
    const a = await post(now);
    expect(a.status).toBe(200);
    expect(a.json.data).toEqual(now);
    expect(await t.store.history.listBySubject('permission', PERMISSION_ID, 10)).toHaveLength(1);
  });
});

describe('reading', () => {
  it('lists the workspace by email, filtered by q and status; an empty filter is no filter', async () => {
    const emails = (a: any) => a.json.data.map((p: any) => p.user.email);
    const all = await get('');
    expect(all.status).toBe(200);
    expect(all.json.total).toBe(3);
    expect(emails(all)).toEqual(['jane.roe@meshlab.de', 'john.doe@meshlab.de', 'max.muster@meshlab.de']);
    expect(emails(await get('?email=&q=&status='))).toEqual(emails(all));
    expect(emails(await get('?q=roe'))).toEqual(['jane.roe@meshlab.de']);
    expect(emails(await get('?q=Max%20Muster'))).toEqual(['max.muster@meshlab.de']);
    expect(emails(await get('?status=ARCHIVED'))).toEqual(['max.muster@meshlab.de']);
    expect(emails(await get('?email=JANE.ROE%40meshlab.de'))).toEqual(['jane.roe@meshlab.de']);
    const none = await get('?email=nobody%40meshlab.de');
    expect(none.json).toEqual({ status: 'OK', type: 'Permission', errors: [], total: 0, data: [] });
  });

  it('VIEWER and MEMBER tokens read', async () => {
    expect((await get('', viewerJwt)).json.total).toBe(3);
    expect((await get('', memberJwt)).json.total).toBe(3);
  });
});

describe('changing', () => {
  it('archives, and activates only from ARCHIVED', async () => {
    const jane = await shown('jane.roe@meshlab.de');
    const archived = await post({ ...jane, status: 'ARCHIVED' });
    expect(archived.status).toBe(200);
    expect(archived.json.data).toEqual({ ...jane, status: 'ARCHIVED' });
    const active = await post({ ...jane, status: 'ACTIVE' });
    expect(active.status).toBe(200);
    expect(active.json.data.status).toBe('ACTIVE');
  });

  it('refuses INVITED -> ACTIVE and a return to INVITED with the rule, as a 400', async () => {
    const john = await shown('john.doe@meshlab.de');
    const a = await post({ ...john, status: 'ACTIVE' });
    expect(a.status).toBe(400);
    expect(a.json).toEqual(error('An invited user cannot be made ACTIVE; they become active by accepting the invitation.'));
    const jane = await shown('jane.roe@meshlab.de');
    const b = await post({ ...jane, status: 'INVITED' });
    expect(b.status).toBe(400);
    expect(b.json).toEqual(error('A permission cannot go back to INVITED.'));
    expect(await shown('john.doe@meshlab.de')).toEqual(john);
    expect(await shown('jane.roe@meshlab.de')).toEqual(jane);
  });
});

describe('refusals', () => {
  it('403: a VIEWER or MEMBER token changes nothing', async () => {
    const max = await shown('max.muster@meshlab.de');
    for (const jwt of [viewerJwt, memberJwt]) {
      const a = await post({ ...max, role: 'ADMIN' }, jwt);
      expect(a.status).toBe(403);
      expect(a.json).toEqual(error(/only ADMIN technical users may change permissions/));
    }
    expect(await shown('max.muster@meshlab.de')).toEqual(max);
  });

  it('403: another workspace, to read or to change', async () => {
    expect((await get('', adminJwt, WS2_ID)).json).toEqual(error(/not valid for that workspace/));
    expect((await get('', adminJwt, WS2_ID)).status).toBe(403);
    expect((await get('', otherWsAdminJwt, WS_ID)).status).toBe(403);
    const [theirs] = await t.store.permissions.list(WS2_ID);
    const body = { id: theirs!.id, workspaceId: WS2_ID, role: 'ADMIN', status: theirs!.status };
    expect((await post(body)).status).toBe(403);
    // Even with the workspaceId of the token's own workspace in the body.
    expect((await post({ ...body, workspaceId: WS_ID })).status).toBe(403);
    expect((await t.store.permissions.findById(theirs!.id))?.role).toBe(theirs!.role);
    expect((await post(body, otherWsAdminJwt)).status).toBe(200);
  });

  it('a role lowered in the store applies to access tokens already issued', async () => {
    const demoted = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', now: clock.now() });
    const jwt = await accessTokenFor(base, demoted.token);
    await t.store.technicalUsers.update(demoted.tu.id, 1, { role: 'VIEWER' });
    const max = await shown('max.muster@meshlab.de');
    expect((await post({ ...max, role: 'MEMBER' }, jwt)).status).toBe(403);
    expect((await get('', jwt)).status).toBe(200);
  });

  it('401: no token, not a token, a token signed by someone else', async () => {
    const none = await call(base, 'GET', listPath(WS_ID));
    expect(none.status).toBe(401);
    expect(none.json).toEqual(error(/Authentication required/));
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="keywarden"');
    expect((await call(base, 'GET', listPath(WS_ID), { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })).status).toBe(401);

    const { privateKey } = await generateKeyPair('ES256');
    const claims = decodeJwt(adminJwt);
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'forged', typ: 'at+jwt' })
      .sign(privateKey);
    const [h, p] = adminJwt.split('.');
    const sigSwapped = `${h}.${p}.${forged.split('.')[2]}`;
    const unsigned = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p}.`;
    for (const bad of ['garbage', forged, sigSwapped, unsigned, `${adminJwt}x`, 'a'.repeat(5000)]) {
      const a = await call(base, 'POST', PERMISSIONS_PATH, { bearer: bad, body: { id: PERMISSION_ID } });
      expect(a.status).toBe(401);
      expect(a.json).toEqual(error('The access token is not valid or has expired; request a new one.'));
    }
  });

  it('400: malformed JSON and bodies, with a readable message', async () => {
    const john = await shown('john.doe@meshlab.de');
    const cases: Array<[string, RegExp]> = [
      ['{"id":', /not valid JSON/],
      ['', /body is empty/],
      ['[]', /must be a permission object/],
      ['null', /must be a permission object/],
      ['"ADMIN"', /must be a permission object/],
      [JSON.stringify({ ...john, role: 'OWNER' }), /^role must be one of VIEWER, MEMBER, ADMIN$/],
      [JSON.stringify({ ...john, status: undefined }), /^status is required$/],
      [JSON.stringify({ ...john, id: 42 }), /^id must be the permission id/],
      [JSON.stringify({ ...john, id: { $gt: '' } }), /^id must be the permission id/],
      [JSON.stringify({ ...john, workspaceId: WS2_ID }), /belongs to workspace/],
    ];
    for (const [raw, why] of cases) {
      const a = await call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, raw });
      expect(a.status, raw).toBe(400);
      expect(a.json.status).toBe('ERROR');
      expect(a.json.errors[0].message, raw).toMatch(why);
    }
    const several = await post({});
    expect(several.json.errors.map((e: any) => e.message)).toEqual(['id is required', 'workspaceId is required', 'role is required', 'status is required']);
    expect(await shown('john.doe@meshlab.de')).toEqual(john);
  });

  it('400: query parameters that are not plain single strings, or unknown', async () => {
    const cases: Array<[string, RegExp]> = [
      ['?email[$gt]=', /Unknown query parameter "email\[\$gt\]"/],
      ['?email=a%40b.de&email=c%40d.de', /"email" may be given only once/],
      ['?status=ACTIVE&status=INVITED', /"status" may be given only once/],
      ['?status=DELETED', /status must be one of INVITED, ACTIVE, ARCHIVED/],
      ['?mail=john', /Unknown query parameter "mail"/],
      [`?q=${'x'.repeat(300)}`, /longer than/],
    ];
    for (const [query, why] of cases) {
      const a = await get(query);
      expect(a.status, query).toBe(400);
      expect(a.json, query).toEqual(error(why));
    }
  });

  it('404: unknown permission ids and unknown paths, in the envelope', async () => {
    const unknown = await post({ id: '00000000-0000-4000-8000-000000000000', workspaceId: WS_ID, role: 'ADMIN', status: 'ACTIVE' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual(error(/no permission with id 00000000-/));
    for (const path of ['/services/mtm/v1/nothing', `/services/mtm/v1/workspaces/${WS_ID}/permissions/extra`, '/services/mtm/v1/workspaces//permissions']) {
      const a = await call(base, 'GET', path, { bearer: adminJwt });
      expect(a.status, path).toBe(404);
      expect(a.json.status).toBe('ERROR');
    }
    expect((await call(base, 'POST', '/services/mtm/v2/permissions', { bearer: adminJwt, body: {} })).status).toBe(404);
  });

  it('405, 413 and 415 in the envelope too', async () => {
    const wrong = await call(base, 'GET', PERMISSIONS_PATH, { bearer: adminJwt });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const big = await call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, raw: JSON.stringify({ pad: 'x'.repeat(70_000) }) });
    expect(big.status).toBe(413);
    expect(big.json).toEqual(error('The body is larger than 64 KB.'));
    // Without a content-length (chunked), the limit holds all the same.
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(10_000)));
        c.close();
      },
    });
    const res = await fetch(`${base}${PERMISSIONS_PATH}`, {
      method: 'POST', headers: { authorization: `Bearer ${adminJwt}`, 'content-type': 'application/json' }, body: chunks, duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    const text = await call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, raw: 'id=1', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('never a 500 for bad input', async () => {
    const john = await shown('john.doe@meshlab.de');
    const bodies = [
      '{"__proto__":{"role":"ADMIN"}}', JSON.stringify({ ...john, id: 'x'.repeat(500) }), JSON.stringify({ ...john, role: ['ADMIN'] }),
      '1e999', '{"id":"\\ud800"}', JSON.stringify({ ...john, id: '%00' }), '{'.repeat(10_000),
    ];
    for (const raw of bodies) {
      const a = await call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, raw });
      expect(a.status, raw.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(a.status, raw.slice(0, 40)).toBeLessThan(500);
    }
    for (const path of [`/services/mtm/v1/workspaces/%E0%A4%A/permissions`, `/services/mtm/v1/workspaces/${'a'.repeat(2000)}/permissions`, '/services/mtm/v1/workspaces/%2e%2e/permissions']) {
      const a = await call(base, 'GET', path, { bearer: adminJwt });
      expect(a.status, path).toBeGreaterThanOrEqual(400);
      expect(a.status, path).toBeLessThan(500);
    }
    expect(t.logs.text).not.toMatch(/unexpected error/);
  });
});
