/**
 * Requests over the API through the real HTTP server, decided through the real Bolt app: every
 * kind parsed as the slash command parses it, every refusal in Slack's words, onBehalfOf, the
 * self-rotation answered with its token (the old one refused at once), listing and paging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePermissionCommand } from '../../src/slack/grammar/permission-command.js';
import { parseTechuserCommand } from '../../src/slack/grammar/techuser-command.js';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, OUTSIDER, startTestApp, TEAM2, testSeed, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, call, exchange } from './api-client.js';

const clock = new TestClock();
let t: TestApp;
let base: string;
let admin: { jwt: string; id: string };
let viewer: { jwt: string; token: string; id: string };
let strictViewer: { jwt: string; id: string };

const path = (ws = WS_ID, rest = '') => `/services/keywarden/v1/workspaces/${ws}/requests${rest}`;
const post = (body: unknown, jwt = admin.jwt, ws = WS_ID) => call(base, 'POST', path(ws), { bearer: jwt, body });
const get = (rest = '', jwt = admin.jwt, ws = WS_ID) => call(base, 'GET', path(ws, rest), { bearer: jwt });
const inDays = (d: number) => new Date(clock.now().getTime() + d * 86_400_000).toISOString().slice(0, 10);

async function waitFor(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  const seed = testSeed();
  // Rotations are made at once in meshlab (the pipeline's case); strict asks two approvers for everything.
  (seed.workspaces[0]!.policy as Record<string, unknown>).rules = [{ kinds: ['techuser.rotate'], approvals: 0 }];
  t = await startTestApp({ options: { clock }, seed });
  base = t.kw.url!;
  const a = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', userName: 'ops-bot', now: clock.now() });
  admin = { jwt: await accessTokenFor(base, a.token), id: a.tu.id };
  const v = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'VIEWER', userName: 'deploy-bot', now: clock.now() });
  viewer = { jwt: await accessTokenFor(base, v.token), token: v.token, id: v.tu.id };
  const s = await addTechnicalUser(t.store, { workspaceId: WS2_ID, role: 'VIEWER', userName: 'strict-bot', now: clock.now() });
  strictViewer = { jwt: await accessTokenFor(base, s.token), id: s.tu.id };
  await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'MEMBER', userName: 'ci-bot', now: clock.now() });
});
afterAll(async () => {
  await t?.stop();
});

describe('POST …/requests: the same kinds and parameters as the slash commands, by the same parsers', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['/permission', { kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN', for: '4h', reason: 'on call tonight' }, 'role jane.roe@meshlab.de ADMIN for 4h on call tonight'],
    ['/permission', { kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'viewer' }, 'role jane.roe@meshlab.de viewer'],
    ['/permission', { kind: 'permission.archive', email: 'jane.roe@meshlab.de', reason: 'left' }, 'archive jane.roe@meshlab.de left'],
    ['/permission', { kind: 'permission.activate', email: 'max.muster@meshlab.de' }, 'activate max.muster@meshlab.de'],
    ['/permission', { kind: 'permission.invite', email: 'new.person@meshlab.de', role: 'MEMBER' }, 'invite new.person@meshlab.de MEMBER'],
    ['/techuser', { kind: 'techuser.create', userName: 'etl-bot', role: 'MEMBER', expiry: inDays(30), description: 'Nightly ETL', customerRoles: ['importer'] }, `create etl-bot MEMBER ${inDays(30)} Nightly ETL roles:importer`],
    ['/techuser', { kind: 'techuser.expiry', userName: 'ci-bot', expiry: inDays(60) }, `expiry ci-bot ${inDays(60)}`],
    ['/techuser', { kind: 'techuser.role', userName: 'ci-bot', role: 'ADMIN', for: '2d' }, 'role ci-bot ADMIN for 2d'],
    ['/techuser', { kind: 'techuser.delete', userName: 'ci-bot', reason: 'retired' }, 'delete ci-bot retired'],
    ['/techuser', { kind: 'techuser.owner', userName: 'ci-bot', owner: 'UADMIN2' }, 'owner ci-bot <@UADMIN2>'],
    ['/techuser', { kind: 'techuser.update', userName: 'ci-bot', description: 'CI', accessControlEntities: ['emea'] }, 'update ci-bot description:CI aces:emea'],
  ];

  it.each(cases)('%s %j is the request the command makes, 202 with its rule and deciders', async (command, body, text) => {
    const parsed = command === '/permission' ? parsePermissionCommand(text) : parseTechuserCommand(text);
    if (!('request' in parsed)) throw new Error(`the command did not parse: ${JSON.stringify(parsed)}`);
    const res = await post({ ...body, onBehalfOf: ADMIN });
    expect(res.status, res.text).toBe(202);
    expect(res.json).toMatchObject({ status: 'OK', type: 'Request', errors: [] });
    const d = res.json.data;
    // Submit adds the id of the technical user the name means now (carried out on it, never on
    // one created later under the name): the same for a command and for the API.
    const { technicalUserId, ...params } = d.params;
    expect({ kind: d.kind, params, reason: d.reason }).toEqual({ kind: parsed.request.kind, params: parsed.request.params, reason: parsed.reason });
    if (technicalUserId !== undefined) expect(technicalUserId).toBe((await t.store.technicalUsers.findByName(d.workspaceId, d.params.userName))?.id);
    expect(d).toMatchObject({
      status: 'PENDING', requester: ADMIN, origin: { via: 'api', technicalUser: { id: admin.id, userName: 'ops-bot' } },
      deciders: { rule: 'the default rule', approvals: 1, approvers: expect.arrayContaining([APPROVER1]), label: 'approvers of workspace meshlab' },
    });
    expect((await t.store.requests.findById(d.id))?.origin).toEqual({ via: 'api', technicalUser: { id: admin.id, userName: 'ops-bot' } });
  });
});

describe('refusals: the words Slack shows, nothing stored or posted', () => {
  it.each([
    [{ kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'OWNER' }, '"OWNER" is not a role: use VIEWER, MEMBER or ADMIN.'],
    [{ kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN', for: '0h' }, '"0h" is not a duration'],
    [{ kind: 'permission.role', email: 'not-an-email', role: 'ADMIN' }, '"not-an-email" is not an email address.'],
    [{ kind: 'permission.archive', email: 'jane.roe@meshlab.de', for: '2h' }, '`/permission archive` takes no duration'],
    [{ kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN', breakGlass: true }, 'Break-glass is always for a time'],
    [{ kind: 'permission.activate', email: 'john.doe@meshlab.de' }, 'An invited user cannot be made ACTIVE'],
    [{ kind: 'techuser.rotate', userName: 'ghost', onBehalfOf: ADMIN }, 'no technical user named ghost'],
    [{ kind: 'techuser.create', userName: 'x', role: 'MEMBER', expiry: inDays(30), onBehalfOf: ADMIN }, '"x" is not a valid username'],
    [{ kind: 'techuser.create', userName: 'etl2', role: 'MEMBER', expiry: '31.12.2027', onBehalfOf: ADMIN }, '"31.12.2027" is not a date: use YYYY-MM-DD.'],
    [{ kind: 'techuser.update', userName: 'ci-bot' }, 'Say what to update'],
    [{ kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN', reason: 'bad\u202etext' }, 'control or invisible characters'],
    [{ kind: 'permission.frob', email: 'jane.roe@meshlab.de' }, 'kind'],
    [{ kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN', colour: 'red' }, 'colour'],
    [{ kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN', onBehalfOf: OUTSIDER }, `<@${OUTSIDER}> is not an admin of workspace meshlab`],
    [{ kind: 'techuser.create', userName: 'etl3', role: 'MEMBER', expiry: inDays(30) }, 'name them in onBehalfOf'],
  ])('%j -> 400 %s', async (body, words) => {
    const posts = t.slack.callsTo('chat.postMessage').length;
    const res = await post(body);
    expect(res.status, res.text).toBe(400);
    expect(res.json).toMatchObject({ status: 'ERROR', type: 'Request', data: null });
    expect(res.json.errors.map((e: any) => e.message).join(' ')).toContain(words);
    expect(t.slack.callsTo('chat.postMessage').length).toBe(posts);
  });

  it('answers a rule the way the slash command does, word for word', async () => {
    const res = await post({ kind: 'permission.activate', email: 'john.doe@meshlab.de', onBehalfOf: ADMIN });
    const sent = await t.command(ADMIN, 'activate john.doe@meshlab.de');
    const slack = sent.json?.text ?? (await t.answer(sent.responseId));
    expect(slack).toContain(res.json.errors[0].message);
  });

  it('lets only ADMIN technical users ask for changes, in their own workspace', async () => {
    const body = { kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN' };
    const low = await post(body, viewer.jwt);
    expect(low.status).toBe(403);
    expect(low.json.errors[0].message).toMatch(/deploy-bot is VIEWER; only ADMIN technical users may request changes/);
    expect((await post(body, admin.jwt, WS2_ID)).status).toBe(403);
    expect((await post(body, 'not-a-jwt')).status).toBe(401);
  });
});

describe('decided in Slack', () => {
  it('says where it came from; the admin it was made for cannot approve it (though an approver); another can, through Bolt', async () => {
    const res = await post({ kind: 'permission.role', email: 'jane.roe@meshlab.de', role: 'ADMIN', for: '1h', reason: 'incident 42', onBehalfOf: ADMIN2 });
    const id = res.json.data.id as string;
    const msg = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(id));
    expect(JSON.stringify(msg.args.blocks)).toContain(`requested by <@${ADMIN2}> via the API, technical user ops-bot`);
    const own = await t.click(ids.APPROVE, id, ADMIN2);
    expect(await t.answer(own.responseId)).toMatch(/cannot decide your own request/);
    await t.click(ids.APPROVE, id, APPROVER1);
    await waitFor(async () => (await t.store.requests.findById(id))?.status === 'APPLIED');
    const seen = await get(`/${id}`);
    expect(seen.status).toBe(200);
    expect(seen.json.data).toMatchObject({ id, status: 'APPLIED', decidedBy: APPROVER1, approvals: [{ by: APPROVER1 }], outcome: expect.any(String) });
  });

  it('a request with nobody behind it names the technical user as its requester', async () => {
    const res = await post({ kind: 'permission.role', email: 'max.muster@meshlab.de', role: 'MEMBER' });
    expect(res.status).toBe(202);
    expect(res.json.data.requester).toBeNull();
    const msg = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(res.json.data.id));
    expect(JSON.stringify(msg.args.blocks)).toContain('requested by technical user ops-bot via the API');
    const id = res.json.data.id as string;
    await t.click(ids.APPROVE, id, APPROVER1);
    await waitFor(async () => (await t.store.requests.findById(id))?.status === 'APPLIED');
    // History names the technical user as the one who asked.
    expect((await t.store.history.findById(id))?.actor).toEqual({ type: 'technicalUser', id: admin.id, name: 'ops-bot' });
  });
});

describe('a request with nobody behind it, when it is carried out', () => {
  // Like an admin who asked in Slack, the technical user must still hold the right to ask.
  async function askAndLose(lose: (tuId: string) => Promise<void>) {
    const bot = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', userName: `asker-${Math.random().toString(36).slice(2, 8)}`, now: clock.now() });
    const res = await post({ kind: 'permission.role', email: 'max.muster@meshlab.de', role: 'VIEWER' }, await accessTokenFor(base, bot.token));
    expect(res.status).toBe(202);
    const id = res.json.data.id as string;
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(id));
    await lose(bot.tu.id);
    await t.click(ids.APPROVE, id, APPROVER1);
    await waitFor(async () => (await t.store.requests.findById(id))?.status === 'FAILED');
    return (await t.store.requests.findById(id))!;
  }

  it('fails with a clear line when its role was lowered while the request waited', async () => {
    const r = await askAndLose(async (tuId) => {
      const tu = (await t.store.technicalUsers.findById(tuId))!;
      await t.store.technicalUsers.update(tuId, tu.version, { role: 'MEMBER' });
    });
    expect(r.outcome).toMatch(/^Technical user asker-\w+ is MEMBER now; only ADMIN technical users may request changes, so the request was not carried out\.$/);
  });

  it('fails when the technical user was deleted, or its token expired, meanwhile', async () => {
    const gone = await askAndLose(async (tuId) => {
      const tu = (await t.store.technicalUsers.findById(tuId))!;
      expect(await t.store.technicalUsers.delete(tuId, tu.version)).toBe(true);
    });
    expect(gone.outcome).toMatch(/^Technical user asker-\w+, which made this request over the API, no longer exists/);
    const expired = await askAndLose(async (tuId) => {
      const tu = (await t.store.technicalUsers.findById(tuId))!;
      await t.store.technicalUsers.update(tuId, tu.version, { token: { ...tu.token!, expiresAt: new Date(clock.now().getTime() - 1000) } });
    });
    expect(expired.outcome).toMatch(/^The API token of technical user asker-\w+, which made this request, has expired/);
  });
});

describe('a technical user rotating its own token', () => {
  it('where the rule needs no approval: made before the answer, 200 with the new token once; the old one refused at once', async () => {
    const res = await post({ kind: 'techuser.rotate', userName: 'deploy-bot', reason: 'scheduled' }, viewer.jwt);
    expect(res.status, res.text).toBe(200);
    const token = res.json.data.token as string;
    expect(token).toMatch(/^lxt_[A-Za-z0-9_-]{43}$/);
    expect(res.json.data.status).toBe('APPLIED');
    expect((await exchange(base, viewer.token)).status).toBe(401);
    expect((await get(`/${res.json.data.id}`, viewer.jwt)).status).toBe(401);
    const fresh = await accessTokenFor(base, token);
    // The token is in no store, no log, and cannot be revealed again.
    expect(await t.store.tokenReveals.findById(res.json.data.id)).toBeNull();
    expect(t.logs.text).not.toContain(token);
    const again = await get(`/${res.json.data.id}`, fresh);
    expect(again.status).toBe(200);
    expect(again.json.data.token).toBeUndefined();
    viewer = { ...viewer, jwt: fresh, token };
  });

  it('where it needs approval: 202, and the admin named in onBehalfOf reveals it in Slack', async () => {
    const alone = await post({ kind: 'techuser.rotate', userName: 'strict-bot' }, strictViewer.jwt, WS2_ID);
    expect(alone.status).toBe(400);
    expect(alone.json.errors[0].message).toMatch(/name them in onBehalfOf/);
    const res = await post({ kind: 'techuser.rotate', userName: 'strict-bot', onBehalfOf: ADMIN }, strictViewer.jwt, WS2_ID);
    expect(res.status).toBe(202);
    expect(res.json.data).toMatchObject({ status: 'PENDING', deciders: { approvals: 2 } });
    expect(res.json.data.token).toBeUndefined();
    const id = res.json.data.id as string;
    for (const approver of [APPROVER1, APPROVER2]) await t.click(ids.APPROVE, id, approver, { teamId: TEAM2 });
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && JSON.stringify(c.args.blocks ?? []).includes(ids.REVEAL) && JSON.stringify(c.args.blocks).includes(id));
    const shown = await t.click(ids.REVEAL, id, ADMIN, { teamId: TEAM2 });
    expect(await t.answer(shown.responseId)).toMatch(/lxt_[A-Za-z0-9_-]{43}/);
  });

  it('a VIEWER may rotate only its own', async () => {
    const res = await post({ kind: 'techuser.rotate', userName: 'ci-bot', onBehalfOf: ADMIN }, viewer.jwt);
    expect(res.status).toBe(403);
  });
});

describe('GET …/requests', () => {
  it('lists newest first, by status, in pages with an opaque cursor', async () => {
    const all = await get('?limit=1000');
    expect(all.status).toBe(400);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`?status=pending&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, page.text).toBe(200);
      expect(page.json.data.every((r: any) => r.status === 'PENDING')).toBe(true);
      seen.push(...page.json.data.map((r: any) => r.id));
      cursor = page.json.cursor;
    } while (cursor);
    const stored = await t.store.requests.listByWorkspace(WS_ID, { status: 'PENDING', limit: 100 });
    expect(seen).toEqual(stored.map((r) => r.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(4);
    expect((await get('?status=NOPE')).status).toBe(400);
    expect((await get('', viewer.jwt)).status).toBe(403);
  });

  it('a request of another workspace is not found', async () => {
    const mine = (await t.store.requests.listByWorkspace(WS_ID, { limit: 1 }))[0]!;
    const other = await addTechnicalUser(t.store, { workspaceId: WS2_ID, role: 'ADMIN', userName: 'strict-admin', now: clock.now() });
    const jwt = await accessTokenFor(base, other.token);
    expect((await get(`/${mine.id}`, jwt, WS2_ID)).status).toBe(404);
  });
});
