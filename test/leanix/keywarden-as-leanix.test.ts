/**
 * Keywarden in front of Keywarden: a second Keywarden's own MTM API plays the LeanIX of the first,
 * so the client and the API Keywarden serves must speak the same MTM (token exchange, envelope,
 * the permission objects, posting one back). Approved in the first, made in the second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRequest } from '../../src/domain/request.js';
import { LeanixClient } from '../../src/leanix/client.js';
import { ids } from '../../src/slack/ids.js';
import { addTechnicalUser } from '../api/api-client.js';
import { ADMIN, APPROVALS, APPROVER1, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';

let leanix: TestApp; // the second Keywarden, standing in for LeanIX
let front: TestApp; // the first, connected to it
let token: string;

beforeAll(async () => {
  leanix = await startTestApp();
  token = (await addTechnicalUser(leanix.store, { workspaceId: WS_ID, role: 'ADMIN', now: new Date(), userName: 'keywarden-front' })).token;
  const seed = testSeed();
  front = await startTestApp({
    seed: { workspaces: [{ ...seed.workspaces[0]!, leanix: { baseUrl: leanix.kw.url!, workspaceId: WS_ID, apiTokenEnv: 'LEANIX_API_TOKEN_MESHLAB' } }, seed.workspaces[1]!] },
    env: { LEANIX_API_TOKEN_MESHLAB: token },
  });
});
afterAll(async () => {
  await front?.stop();
  await leanix?.stop();
});

async function request(text: string): Promise<ChangeRequest> {
  const before = front.slack.callsTo('chat.postMessage').length;
  const sent = await front.command(ADMIN, text);
  expect(await front.answer(sent.responseId)).toMatch(/sent to <#CAPPROVALS> for approval/);
  const post = await front.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && front.slack.callsTo('chat.postMessage').indexOf(c) >= before);
  return (await front.store.requests.findById(post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value))!;
}

async function settled(id: string): Promise<ChangeRequest> {
  const end = Date.now() + 15_000;
  for (;;) {
    const r = (await front.store.requests.findById(id))!;
    if (r.status === 'APPLIED' || r.status === 'FAILED') return r;
    if (Date.now() > end) throw new Error(`request ${id} is still ${r.status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

const permissionIn = async (t: TestApp, email: string) => t.store.permissions.find(WS_ID, (await t.store.users.findByEmail(email))!.id);

describe('Keywarden in front of Keywarden', () => {
  it('reads every permission of the other over its MTM API, paged until total', async () => {
    const all = [];
    for await (const page of front.kw.leanix.get(WS_ID)!.client.listPermissions()) all.push(...page);
    expect(all.map((p) => p.user.email).sort()).toEqual(['jane.roe@meshlab.de', 'john.doe@meshlab.de', 'max.muster@meshlab.de']);
    // Its API pages as LeanIX does when asked to: page 1 and 2 of size 2, total 3.
    const small = new LeanixClient({ baseUrl: leanix.kw.url!, workspaceId: WS_ID, apiToken: token, pageSize: 2 });
    const sizes: number[] = [];
    for await (const page of small.listPermissions()) sizes.push(page.length);
    expect(sizes).toEqual([2, 1]);
  });

  it('makes an approved role change in the other Keywarden, then in its own mirror', async () => {
    const r = await request('role jane.roe@meshlab.de ADMIN');
    await front.click(ids.APPROVE, r.id, APPROVER1);
    const done = await settled(r.id);
    expect(done.outcome).toBe('jane.roe@meshlab.de is now ADMIN and ACTIVE.');
    expect((await permissionIn(leanix, 'jane.roe@meshlab.de'))!.role).toBe('ADMIN');
    expect((await permissionIn(front, 'jane.roe@meshlab.de'))!.role).toBe('ADMIN');
    // The other side recorded it as made by the technical user whose token the first one holds.
    const lines = await leanix.store.history.listBySubject('permission', (await permissionIn(leanix, 'jane.roe@meshlab.de'))!.id, 5);
    expect(lines[0]).toMatchObject({ action: 'permission.updated', actor: { type: 'technicalUser', name: 'keywarden-front' }, after: { role: 'ADMIN' } });
  });

  it('does not make a change over one the other Keywarden made while it waited', async () => {
    const r = await request('role max.muster@meshlab.de MEMBER');
    const max = (await permissionIn(leanix, 'max.muster@meshlab.de'))!;
    await leanix.kw.permissions.change({ permissionId: max.id, change: { role: 'ADMIN' }, actor: { type: 'system' } });
    await front.click(ids.APPROVE, r.id, APPROVER1);
    const done = await settled(r.id);
    expect(done.status).toBe('FAILED');
    expect(done.outcome).toBe('LeanIX shows ADMIN, not VIEWER as when this was approved; ask again.');
    expect((await permissionIn(leanix, 'max.muster@meshlab.de'))!.role).toBe('ADMIN');
  });

  it("refuses a change over its own MTM API where it is only LeanIX's mirror (409), changing nothing", async () => {
    const own = await addTechnicalUser(front.store, { workspaceId: WS_ID, role: 'ADMIN', now: new Date() });
    const client = new LeanixClient({ baseUrl: front.kw.url!, workspaceId: WS_ID, apiToken: own.token });
    const john = (await client.getPermissionByEmail('john.doe@meshlab.de'))!;
    await expect(client.postPermission({ ...john, role: 'ADMIN' })).rejects.toMatchObject({ status: 409, leanixMessages: [expect.stringMatching(/connected to SAP LeanIX: change its permissions there/)] });
    expect((await permissionIn(front, 'john.doe@meshlab.de'))!.role).toBe('MEMBER');
  });
});
