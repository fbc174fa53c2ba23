/**
 * GET /services/keywarden/v1/workspaces/{id}/grants against the running app: grants made through
 * the real approval flow (queue and worker), read with the permission endpoint's token rules and
 * envelope (type "Grant"), and every refusal in that envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRequest } from '../../src/domain/request.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, APPROVER1, startTestApp, TEAM, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, call, type Integration } from './api-client.js';

const grantsPath = (workspaceId: string) => `/services/keywarden/v1/workspaces/${workspaceId}/grants`;
const HOUR = 3600_000;

const clock = new TestClock();
let t: TestApp;
let base: string;
let viewer: Integration;
let viewerJwt: string;
let otherWsJwt: string;

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
  base = t.kw.url!;
  viewer = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'VIEWER', userName: 'report-viewer', now: clock.now() });
  viewerJwt = await accessTokenFor(base, viewer.token);
  otherWsJwt = await accessTokenFor(base, (await addTechnicalUser(t.store, { workspaceId: WS2_ID, role: 'ADMIN', userName: 'strict-admin', now: clock.now() })).token);
});
afterAll(async () => {
  await t?.stop();
});

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

const get = (bearer?: string, workspaceId = WS_ID) => call(base, 'GET', grantsPath(workspaceId), bearer === undefined ? {} : { bearer });
const refusal = (message: RegExp) => ({ status: 'ERROR', type: 'Grant', errors: [{ message: expect.stringMatching(message) }], total: 0, data: null });

describe('GET .../workspaces/{id}/grants', () => {
  it('answers an empty list in the envelope while nothing is granted', async () => {
    const a = await get(viewerJwt);
    expect(a.status).toBe(200);
    expect(a.headers.get('cache-control')).toBe('no-store');
    expect(a.json).toEqual({ status: 'OK', type: 'Grant', errors: [], total: 0, data: [] });
  });

  it('lists the active grants of both kinds, soonest end first, with what they revert to', async () => {
    const jane = await t.store.users.findByEmail('jane.roe@meshlab.de');
    const permission = (await t.store.permissions.find(WS_ID, jane!.id))!;
    const forJane = await applied({ kind: 'permission.role', params: { email: 'jane.roe@meshlab.de', role: 'ADMIN', minutes: 240 } });
    const forBot = await applied({ kind: 'techuser.role', params: { userName: 'report-viewer', role: 'MEMBER', minutes: 60 } });
    const a = await get(viewerJwt);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ status: 'OK', type: 'Grant', errors: [], total: 2 });
    const [bot, janes] = a.json.data;
    expect(bot).toEqual({
      subject: { type: 'technicalUser', id: viewer.tu.id, userName: 'report-viewer' },
      role: 'MEMBER', revertTo: 'VIEWER', until: expect.any(String), grantedAt: expect.any(String), requestId: forBot,
    });
    expect(janes).toEqual({
      subject: { type: 'permission', id: permission.id, email: 'jane.roe@meshlab.de' },
      role: 'ADMIN', revertTo: 'MEMBER', until: expect.any(String), grantedAt: expect.any(String), requestId: forJane,
    });
    expect(Date.parse(janes.until) - Date.parse(janes.grantedAt)).toBe(4 * HOUR);
    expect(Date.parse(bot.until) - Date.parse(bot.grantedAt)).toBe(HOUR);
    // The MTM endpoint keeps answering the role as it is now, as LeanIX does.
    const mtm = await call(base, 'GET', `/services/mtm/v1/workspaces/${WS_ID}/permissions?email=jane.roe%40meshlab.de`, { bearer: viewerJwt });
    expect(mtm.json.data[0].role).toBe('ADMIN');

    // Ended early: gone from the list at once.
    await t.kw.grants.endNow(forJane, ADMIN);
    const after = await get(viewerJwt);
    expect(after.json.total).toBe(1);
    expect(after.json.data[0].requestId).toBe(forBot);
  });

  it('401 without a token or with a bad one, 403 for another workspace, in the envelope of type Grant', async () => {
    const none = await get();
    expect(none.status).toBe(401);
    expect(none.json).toEqual(refusal(/Authentication required/));
    const bad = await get('not-a-jwt');
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual(refusal(/not valid/));
    const other = await get(otherWsJwt);
    expect(other.status).toBe(403);
    expect(other.json).toEqual(refusal(/not valid for that workspace/));
    const unknown = await get(viewerJwt, '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(403);
  });

  it('405 for another method, 404 for an unknown path under /services/keywarden/, both in the envelope', async () => {
    const post = await call(base, 'POST', grantsPath(WS_ID), { bearer: viewerJwt, body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect(post.json).toEqual(refusal(/Use GET here/));
    const missing = await call(base, 'GET', '/services/keywarden/v1/nothing', { bearer: viewerJwt });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(refusal(/There is no GET \/services\/keywarden\/v1\/nothing/));
  });
});
