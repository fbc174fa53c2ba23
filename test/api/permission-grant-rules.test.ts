/**
 * Issue 20, finding 2: POST /services/mtm/v1/permissions through the running app changes only what
 * differs (a role sent back as it is is no role change, so a grant is never made permanent), and
 * keeps Slack's rules: a permanent change to a temporary-only role is a 400 in the envelope, and a
 * role changed during a grant closes the grant as superseded, as an approved `/permission role` does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRequest } from '../../src/domain/request.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, APPROVER1, startTestApp, TEAM, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, call, listPath, PERMISSIONS_PATH } from './api-client.js';

const HOUR = 3600_000;
const JANE = 'jane.roe@meshlab.de';
const MAX = 'max.muster@meshlab.de';

const clock = new TestClock();
let t: TestApp;
let base: string;
let apiToken: string;
let adminJwt: string;

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
  base = t.kw.url!;
  apiToken = (await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', userName: 'sync-admin', now: clock.now() })).token;
  adminJwt = await accessTokenFor(base, apiToken);
});
afterAll(async () => {
  await t?.stop();
});

/** Past a grant's hour the access token has expired too: the integration exchanges its API token again. */
async function pastTheHour() {
  clock.advance(HOUR);
  adminJwt = await accessTokenFor(base, apiToken);
}
const post = (body: unknown) => call(base, 'POST', PERMISSIONS_PATH, { bearer: adminJwt, body });
async function shown(email: string) {
  const a = await call(base, 'GET', `${listPath(WS_ID)}?email=${encodeURIComponent(email)}`, { bearer: adminJwt });
  return a.json.data[0];
}
async function stored(email: string) {
  const user = await t.store.users.findByEmail(email);
  return (await t.store.permissions.find(WS_ID, user!.id))!;
}
const lines = async (email: string) => (await t.store.history.listBySubject('permission', (await stored(email)).id, 50)).map((h) => h.action).reverse();

/** Asks for `request` as ADMIN, has APPROVER1 approve it, and waits until the worker applied it. */
async function applied(request: NewRequest): Promise<string> {
  const ws = (await t.store.workspaces.findById(WS_ID))!;
  const r = await t.kw.requests.submit({ workspace: ws, requester: ADMIN, request, reason: null });
  await t.kw.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
  const end = Date.now() + 10_000;
  while ((await t.store.requests.findById(r.id))!.status !== 'APPLIED') {
    if (Date.now() > end) throw new Error(`request ${r.id} was not applied`);
    await new Promise((res) => setTimeout(res, 25));
  }
  return r.id;
}

async function setTemporaryOnly(roles: Array<'ADMIN'>) {
  const ws = (await t.store.workspaces.findById(WS_ID))!;
  await t.store.workspaces.upsert({ ...ws, policy: { ...ws.policy, temporaryOnlyRoles: roles } });
}

describe('POST /services/mtm/v1/permissions during a grant', () => {
  it('archiving and activating a permission under a 1-hour ADMIN grant keeps the grant: ADMIN ends with it', async () => {
    const grantId = await applied({ kind: 'permission.role', params: { email: JANE, role: 'ADMIN', minutes: 60 } });
    const jane = await shown(JANE);
    expect(jane).toMatchObject({ role: 'ADMIN', status: 'ACTIVE' });
    // The integration sends the object back as GET showed it, status changed: role ADMIN is in it.
    expect((await post({ ...jane, status: 'ARCHIVED' })).json).toMatchObject({ status: 'OK', data: { role: 'ADMIN', status: 'ARCHIVED' } });
    expect((await post({ ...jane, status: 'ACTIVE' })).json).toMatchObject({ status: 'OK', data: { role: 'ADMIN', status: 'ACTIVE' } });
    // On the old code: granted, superseded, updated, updated, and a permanent ADMIN with no grant.
    expect(await stored(JANE)).toMatchObject({ role: 'ADMIN', status: 'ACTIVE', grant: { requestId: grantId, revertTo: 'MEMBER' } });
    expect(await lines(JANE)).toEqual(['permission.granted', 'permission.updated', 'permission.updated']);
    // The same object sent back unchanged changes nothing at all.
    expect((await post(await shown(JANE))).status).toBe(200);
    expect(await lines(JANE)).toHaveLength(3);

    await pastTheHour();
    await t.kw.grants.sweep();
    expect(await stored(JANE)).toMatchObject({ role: 'MEMBER', status: 'ACTIVE', grant: null });
    expect((await lines(JANE)).at(-1)).toBe('permission.grant_ended');
  });

  it('a role changed during a grant wins over it, as an approved /permission role does: the grant is closed as superseded', async () => {
    const grantId = await applied({ kind: 'permission.role', params: { email: JANE, role: 'ADMIN', minutes: 60 } });
    const a = await post({ ...(await shown(JANE)), role: 'VIEWER' });
    expect(a.json).toMatchObject({ status: 'OK', data: { role: 'VIEWER', status: 'ACTIVE' } });
    expect(await stored(JANE)).toMatchObject({ role: 'VIEWER', grant: null });
    expect(await t.store.history.findById(`${grantId}:superseded`)).toMatchObject({ action: 'permission.grant_superseded', actor: { type: 'technicalUser' } });
    await pastTheHour();
    await t.kw.grants.sweep();
    expect(await stored(JANE)).toMatchObject({ role: 'VIEWER' });
    expect((await post({ ...(await shown(JANE)), role: 'MEMBER' })).status).toBe(200); // as the next test expects her
  });
});

describe('POST /services/mtm/v1/permissions and temporaryOnlyRoles', () => {
  it('refuses to make anyone ADMIN for good where ADMIN is only for a time: 400 in the envelope, nothing changed', async () => {
    await setTemporaryOnly(['ADMIN']);
    try {
      const before = await lines(MAX);
      const a = await post({ ...(await shown(MAX)), role: 'ADMIN' });
      expect(a.status).toBe(400);
      expect(a.json).toEqual({
        status: 'ERROR', type: 'Permission', total: 0, data: null,
        errors: [{ message: 'In workspace meshlab, ADMIN may only be granted for a time, which this API cannot do; ask for it in Slack: /permission role <email> ADMIN for <duration>.' }],
      });
      expect(await stored(MAX)).toMatchObject({ role: 'VIEWER' });
      expect(await lines(MAX)).toEqual(before);
      // Other changes still go through, and a temporary ADMIN is not refused for being sent back as ADMIN.
      expect((await post({ ...(await shown(MAX)), role: 'MEMBER' })).json).toMatchObject({ status: 'OK', data: { role: 'MEMBER' } });
      await applied({ kind: 'permission.role', params: { email: JANE, role: 'ADMIN', minutes: 60 } });
      const jane = await shown(JANE);
      expect((await post({ ...jane, status: 'ARCHIVED' })).json).toMatchObject({ status: 'OK', data: { role: 'ADMIN', status: 'ARCHIVED' } });
      expect(await stored(JANE)).toMatchObject({ grant: { role: 'ADMIN' } });
    } finally {
      await setTemporaryOnly([]);
    }
  });
});
