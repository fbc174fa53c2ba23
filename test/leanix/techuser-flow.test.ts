/**
 * Technical users of a workspace connected to LeanIX, through the real Bolt app and BullMQ: a role
 * change and an expiry change made in LeanIX with PUT (the token stays), a delete made with
 * DELETE, an update of description, customer roles and access control entities made with PUT,
 * a change made in LeanIX while the request waited not made over (drift recorded), a create
 * whose answer was lost adopted, and a name taken in LeanIX by someone else refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeRequest } from '../../src/domain/request.js';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import { hashApiToken } from '../../src/domain/api-token.js';
import { ids } from '../../src/slack/ids.js';
import { JweTokenSealer } from '../../src/crypto/jwe-sealer.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { ADMIN, APPROVALS, APPROVER1, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';

let t: TestApp | undefined;
let lx: FakeLeanix | undefined;
afterEach(async () => {
  await t?.stop();
  await lx?.stop();
  t = lx = undefined;
});

/** The fake LeanIX holds ci-bot (MEMBER, token to 2030-01-01); the mirror holds the same, by LeanIX's id. */
async function start() {
  lx = await FakeLeanix.start({ workspaceId: WS_ID });
  const made = lx.data.addTechnicalUser({ userName: 'ci-bot', role: 'MEMBER', expiry: '2030-01-01T00:00:00.000Z' });
  const seed = testSeed();
  t = await startTestApp({
    seed: { workspaces: [{ ...seed.workspaces[0]!, leanix: { baseUrl: lx.url, apiTokenEnv: 'LEANIX_API_TOKEN_MESHLAB' } }, seed.workspaces[1]!] },
    env: { LEANIX_API_TOKEN_MESHLAB: lx.apiToken },
    options: { leanixApply: { retryDelayMs: 150 }, leanixTransport: { retries: 0 } },
  });
  // The first sync runs at start and mirrors ci-bot from LeanIX, without a token (LeanIX never
  // gives one back): the mirror is then given the token's hash, as Keywarden's own create leaves it.
  const now = new Date();
  const token: TechnicalUser['token'] = { hash: hashApiToken(made.token), lastFour: made.token.slice(-4), createdAt: now, expiresAt: new Date('2030-01-01T00:00:00.000Z'), revealBy: null, revokedAt: null, nextWarningAt: null, lastWarnedDays: null };
  const end = Date.now() + 15_000;
  let mirrored = await t.store.technicalUsers.findById(made.record.id);
  while (!mirrored && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    mirrored = await t.store.technicalUsers.findById(made.record.id);
  }
  if (!mirrored) throw new Error('the first sync did not mirror ci-bot within 15 s');
  if (!(await t.store.technicalUsers.update(mirrored.id, mirrored.version, { token }))) throw new Error('the mirror of ci-bot changed while its token was set');
  return { id: made.record.id, token: made.token };
}

async function request(text: string): Promise<ChangeRequest> {
  const before = t!.slack.callsTo('chat.postMessage').length;
  const sent = await t!.command(ADMIN, text, '/techuser');
  expect(await t!.answer(sent.responseId)).toMatch(/sent to <#CAPPROVALS> for approval/);
  const post = await t!.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && t!.slack.callsTo('chat.postMessage').indexOf(c) >= before);
  return (await t!.store.requests.findById(post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value))!;
}

/** The sealed token of a request's reveal, opened as the Reveal button would. */
async function revealed(requestId: string): Promise<string> {
  const rv = (await t!.store.tokenReveals.findById(requestId))!;
  return new JweTokenSealer(TEST_KEYWARDEN_SECRET).open(rv.sealed, requestId);
}

async function settled(id: string): Promise<ChangeRequest> {
  const end = Date.now() + 15_000;
  for (;;) {
    const r = (await t!.store.requests.findById(id))!;
    if (r.status === 'APPLIED' || r.status === 'FAILED') return r;
    if (Date.now() > end) throw new Error(`request ${id} is still ${r.status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('technical users of a connected workspace', () => {
  it('changes the role in LeanIX with PUT (the token keeps working), then the mirror', async () => {
    const { id, token } = await start();
    const r = await request('role ci-bot ADMIN');
    expect(r.seen).toEqual({ role: 'MEMBER', expires: '2029-12-31' });
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    const done = await settled(r.id);
    expect(done.outcome).toBe('ci-bot now has the role ADMIN.');
    expect(lx!.data.technicalUser(id).record.permissionRole).toBe('ADMIN');
    expect(lx!.data.technicalUser(id).record.links).toBeDefined(); // posted back what it read
    expect(lx!.tokenWorks(token)).toBe(true);
    expect((await t!.store.technicalUsers.findById(id))!.role).toBe('ADMIN');
  });

  it("shows LeanIX's changelog beside Keywarden's own lines in /techuser history, and says when it cannot be read", async () => {
    await start();
    const r = await request('role ci-bot ADMIN');
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    await settled(r.id);
    const text = await t!.answer((await t!.command(ADMIN, 'history ci-bot', '/techuser')).responseId);
    expect(text).toMatch(/\*History of ci-bot\*[\s\S]*role_changed by <@UADMIN1>/);
    expect(text).toMatch(/\*In LeanIX\* \(its changelog, newest first\)\n• \d{4}-\d\d-\d\d \d\d:\d\d UTC — TechnicalUserUpdatedEvent by keywarden-admin\n• .* — TechnicalUserCreatedEvent by seed/);
    lx!.down = true;
    const away = await t!.answer((await t!.command(ADMIN, 'history ci-bot', '/techuser')).responseId);
    expect(away).toMatch(/role_changed/);
    expect(away).toMatch(/\*In LeanIX\*: its changelog could not be read \(LeanIX answered GET/);
  });

  it('changes the expiry date in LeanIX without replacing the token', async () => {
    const { id, token } = await start();
    const r = await request('expiry ci-bot 2031-06-30');
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    expect((await settled(r.id)).status).toBe('APPLIED');
    expect(lx!.data.technicalUser(id).record.apiTokenData.expiry).toBe('2031-07-01T00:00:00.000Z');
    expect(lx!.tokenWorks(token)).toBe(true);
  });

  it('does not change a role that was changed in LeanIX while the request waited', async () => {
    const { id } = await start();
    const r = await request('role ci-bot ADMIN');
    lx!.data.technicalUser(id).record.permissionRole = 'VIEWER';
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    const done = await settled(r.id);
    expect(done.outcome).toBe('LeanIX shows VIEWER, not MEMBER as when this was approved; ask again.');
    expect(lx!.callsTo('PUT', /technicalusers/)).toHaveLength(0);
    const lines = await t!.store.history.listBySubject('technicalUser', id, 5);
    expect(lines[0]).toMatchObject({ action: 'techuser.changed_outside', actor: { type: 'leanix' }, before: { role: 'MEMBER' }, after: { role: 'VIEWER' } });
  });

  it('deletes in LeanIX, and its token with it, then the mirror', async () => {
    const { id, token } = await start();
    const r = await request('delete ci-bot');
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    expect((await settled(r.id)).status).toBe('APPLIED');
    expect(lx!.data.technicalUsers.has(id)).toBe(false);
    expect(lx!.tokenWorks(token)).toBe(false);
    expect(await t!.store.technicalUsers.findById(id)).toBeNull();
  });

  it('creates in LeanIX and seals the token from its answer for one reveal; the mirror takes LeanIX\'s id', async () => {
    await start();
    const r = await request('create new-bot VIEWER 2030-06-30 feeds the CMDB');
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    expect((await settled(r.id)).status).toBe('APPLIED');
    const made = lx!.data.byName('new-bot')!;
    expect(made.record).toMatchObject({ permissionRole: 'VIEWER', apiTokenData: { expiry: '2030-07-01T00:00:00.000Z', description: 'feeds the CMDB' } });
    const sealed = await revealed(r.id);
    expect(sealed).toBe(made.token);
    expect((await t!.store.technicalUsers.findByName(WS_ID, 'new-bot'))!.id).toBe(made.record.id);
    expect(JSON.stringify(await t!.store.technicalUsers.findByName(WS_ID, 'new-bot'))).not.toContain(made.token!);
  });

  it('finds a create whose answer was lost by its name and replaces its token: one working token, the lost one dead', async () => {
    await start();
    const r = await request('create lost-bot MEMBER 2030-06-30');
    lx!.dropAnswerOfNext(1, { method: 'POST', path: /technicalusers$/ });
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    expect((await settled(r.id)).status).toBe('APPLIED');
    expect(lx!.callsTo('POST', /technicalusers$/)).toHaveLength(1);
    expect(lx!.callsTo('PUT', /replaceToken$/)).toHaveLength(1);
    // Taken for its own because the request was marked before its create was sent.
    expect((await t!.store.requests.findById(r.id))!.notices?.['leanix-create-sent']).toBeInstanceOf(Date);
    const [lost, current] = lx!.data.issued.slice(-2);
    expect(lx!.tokenWorks(lost!)).toBe(false);
    expect(await revealed(r.id)).toBe(current);
    expect(lx!.tokenWorks(current!)).toBe(true);
  });

  it('rotates in LeanIX: the old token stops working, the new one is sealed for one reveal', async () => {
    const { id, token } = await start();
    const r = await request('rotate ci-bot leaked');
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    expect((await settled(r.id)).status).toBe('APPLIED');
    expect(lx!.tokenWorks(token)).toBe(false);
    const fresh = await revealed(r.id);
    expect(fresh).toBe(lx!.data.technicalUser(id).token);
    expect((await t!.store.technicalUsers.findById(id))!.token!.hash).toBe(hashApiToken(fresh));
  });

  it('updates description, customer roles and access control entities in LeanIX with PUT: the object as read, fields Keywarden does not know sent back', async () => {
    const { id, token } = await start();
    const r = await request('update ci-bot description:"runs the nightly import" roles:pathfinder,survey aces:ace-1');
    expect(r.seen).toEqual({ description: '', customerRoles: '', accessControlEntities: '' });
    const before = structuredClone(lx!.data.technicalUser(id).record);
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    const done = await settled(r.id);
    expect(done.status).toBe('APPLIED');
    const [put] = lx!.data.put;
    // As read, with only the three attributes changed (LeanIX showed the lists as strings: so they go back).
    const { apiTokenData, ...rest } = before;
    expect(put).toEqual({ ...rest, customerRoles: 'pathfinder,survey', accessControlEntities: 'ace-1', apiTokenData: { ...apiTokenData, description: 'runs the nightly import' } });
    expect(lx!.data.technicalUser(id).record).toMatchObject({ links: before.links, apiTokenData: { description: 'runs the nightly import', expiry: before.apiTokenData.expiry } });
    expect(lx!.tokenWorks(token)).toBe(true);
    expect(await t!.store.technicalUsers.findById(id)).toMatchObject({ description: 'runs the nightly import', customerRoles: ['pathfinder', 'survey'], accessControlEntities: ['ace-1'] });
    expect(lx!.callsTo('PUT', /technicalusers\/[^/]+$/)).toHaveLength(1);
  });

  it('does not update a description that was changed in LeanIX while the request waited, and records the drift', async () => {
    const { id } = await start();
    const r = await request('update ci-bot description:"runs the nightly import"');
    lx!.data.technicalUser(id).record.apiTokenData.description = 'set in LeanIX';
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    const done = await settled(r.id);
    expect(done.status).toBe('FAILED');
    expect(done.outcome).toBe('LeanIX shows description "set in LeanIX", not an empty description as when this was approved; ask again.');
    expect(lx!.callsTo('PUT', /technicalusers/)).toHaveLength(0);
    expect((await t!.store.technicalUsers.findById(id))!.description).toBe('');
    const lines = await t!.store.history.listBySubject('technicalUser', id, 5);
    expect(lines[0]).toMatchObject({ action: 'techuser.changed_outside', actor: { type: 'leanix' }, requestId: r.id, before: { description: '' }, after: { description: 'set in LeanIX' } });
  });

  it('refuses a create whose name someone else took in LeanIX after it was asked for, even with the same attributes, and records the drift', async () => {
    await start();
    const r = await request('create taken-bot MEMBER 2030-06-30');
    const theirs = lx!.data.addTechnicalUser({ userName: 'taken-bot', role: 'MEMBER', expiry: '2030-07-01T00:00:00.000Z', description: '' });
    await t!.click(ids.APPROVE, r.id, APPROVER1);
    const done = await settled(r.id);
    expect(done.status).toBe('FAILED');
    expect(done.outcome).toBe('A technical user named taken-bot was made in LeanIX meanwhile; ask again with another name.');
    expect(lx!.callsTo('PUT', /replaceToken$/)).toHaveLength(0);
    expect(lx!.callsTo('POST', /technicalusers$/)).toHaveLength(0);
    expect(lx!.tokenWorks(theirs.token)).toBe(true);
    expect(await t!.store.tokenReveals.findById(r.id)).toBeNull();
    const lines = await t!.store.history.listBySubject('technicalUser', theirs.record.id, 5);
    expect(lines[0]).toMatchObject({ action: 'techuser.changed_outside', actor: { type: 'leanix' }, requestId: r.id, before: {}, after: { role: 'MEMBER', expires: '2030-06-30' } });
  });
});
