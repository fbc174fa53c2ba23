/**
 * A seed change at restart, through the real Bolt app, HTTP API and store: a workspace taken out
 * of the file stops answering (commands, API tokens) while its records are kept, its pending
 * request is cancelled and people are told; admins and approvers taken out of a list lose that part.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { ids } from '../../src/slack/ids.js';
import { accessTokenFor, addTechnicalUser, call, exchange, listPath } from '../api/api-client.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, startTestApp, TEAM, TEAM2, testSeed, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';

const clock = new TestClock();
const store = createMemoryStore();
let t: TestApp | undefined;
afterAll(async () => {
  await t?.stop();
});

async function waitFor(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function answer(app: TestApp, user: string, text: string, teamId = TEAM): Promise<string> {
  const res = await app.command(user, text, '/permission', { teamId });
  return res.json?.text ?? (await app.answer(res.responseId));
}

async function submit(app: TestApp, user: string, text: string, teamId = TEAM): Promise<string> {
  const reply = await answer(app, user, text, teamId);
  const short = /Request ([0-9a-f]{8})/.exec(reply)?.[1];
  if (!short) throw new Error(`not submitted: ${reply}`);
  const post = await app.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(short));
  return post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
}

describe('a seed change at restart', () => {
  it('retires a workspace gone from the file and takes removed admins and approvers out', async () => {
    t = await startTestApp({ store, options: { clock } });
    const pending = await submit(t, ADMIN, 'role jane.roe@meshlab.de VIEWER');
    const integration = await addTechnicalUser(store, { workspaceId: WS_ID, role: 'ADMIN', now: clock.now() });
    const accessToken = await accessTokenFor(t.kw.url!, integration.token);
    expect((await call(t.kw.url!, 'GET', listPath(WS_ID), { bearer: accessToken })).status).toBe(200);
    await t.stop();

    // meshlab leaves the file; in strict, ADMIN2 is no longer an admin nor APPROVER2 an approver.
    const strict = testSeed().workspaces.find((w) => w.id === WS2_ID)!;
    t = await startTestApp({ store, options: { clock }, seed: { workspaces: [{ ...strict, admins: [ADMIN], approvers: [APPROVER1, ADMIN2] }] } });
    const base = t.kw.url!;

    // The pending request is cancelled, its approval message rewritten and its requester told why.
    await waitFor(async () => (await store.requests.findById(pending))?.status === 'CANCELLED');
    const why = 'Workspace meshlab was removed from Keywarden (it is no longer in the seed file), so this request ended; nothing was changed.';
    expect(await store.requests.findById(pending)).toMatchObject({ status: 'CANCELLED', outcome: why });
    const update = await t.slack.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(pending.slice(0, 8)));
    expect(JSON.stringify(update.args.blocks)).toContain(`Cancelled. ${why}`);
    expect(update.args.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN && String(c.args.text).includes(pending.slice(0, 8)));
    expect(dm.args.text).toContain(why);

    // meshlab answers nothing: not in Slack, not over the API, not even a click on its old message.
    expect(await answer(t, ADMIN, 'list')).toBe('No workspace is configured for this Slack team.');
    expect(await answer(t, ADMIN, 'list workspace:meshlab')).toMatch(/There is no workspace named "meshlab"/);
    expect((await exchange(base, integration.token)).status).toBe(401);
    expect((await call(base, 'GET', listPath(WS_ID), { bearer: accessToken })).status).toBe(401);

    // Its records are kept.
    expect(await store.workspaces.findRecord(WS_ID)).toMatchObject({ name: 'meshlab', retiredAt: expect.any(Date) });
    expect(await store.technicalUsers.findById(integration.tu.id)).not.toBeNull();
    expect(await store.permissions.list(WS_ID)).toHaveLength(3);

    // In strict, the removed admin cannot ask and the removed approver cannot decide.
    expect(await answer(t, APPROVER2, 'role jane.roe@meshlab.de VIEWER', TEAM2)).toMatch(/admin/i);
    expect(await answer(t, ADMIN2, 'role jane.roe@meshlab.de VIEWER', TEAM2)).toMatch(/admin/i);
    const inStrict = await submit(t, ADMIN, 'role jane.roe@meshlab.de VIEWER', TEAM2);
    const click = await t.click(ids.APPROVE, inStrict, APPROVER2, { teamId: TEAM2 });
    expect(await t.answer(click.responseId)).toMatch(/Only approvers of workspace strict/);
    expect((await store.requests.findById(inStrict))?.approvals).toEqual([]);
    await t.stop();

    // Back in the file, meshlab answers again.
    t = await startTestApp({ store, options: { clock } });
    expect(await answer(t, ADMIN, 'list workspace:meshlab')).toMatch(/permissions in meshlab/);
    expect((await exchange(t.kw.url!, integration.token)).status).toBe(200);
  });
});
