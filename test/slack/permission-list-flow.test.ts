/**
 * `/permission list` over 10,000 permissions, through the real Bolt app with signed requests:
 * one page with Next (and Previous), within a message's limits (the fake Slack refuses more than
 * 50 blocks or 40,000 characters at the response_url), the filter kept across pages, each click
 * answered by replacing the ephemeral list through its response_url; a forged page button lists
 * nothing it may not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { LIST_PAGE_SIZE } from '../../src/slack/permission-pages.js';
import { ADMIN, APPROVER1, OUTSIDER, startTestApp, TEAM2, testSeed, WS_ID, WS2_ID, type TestApp } from '../helpers/keywarden.js';
import { manyPeople } from '../helpers/many-people.js';
import type { SlackCall } from '../helpers/fake-slack.js';

const N = 10_000;
let t: TestApp;
beforeAll(async () => {
  const seed = testSeed();
  seed.workspaces[0]!.users = [...seed.workspaces[0]!.users, ...manyPeople(N - 3)] as typeof seed.workspaces[0]['users'];
  t = await startTestApp({ seed });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const answerOf = (responseId: string) => t.slack.waitFor('response_url', (c) => c.args.responseId === responseId);
/** The emails listed on a page, in order. */
const emails = (call: SlackCall) => JSON.stringify(call.args.blocks).match(/• [^ (:]+/g)!.map((l) => l.slice(2));
const button = (call: SlackCall, actionId: string) => call.args.blocks.find((b: any) => b.type === 'actions')?.elements.find((e: any) => e.action_id === actionId);
const buttons = (call: SlackCall) => (call.args.blocks.find((b: any) => b.type === 'actions')?.elements ?? []).map((e: any) => e.text.text);

async function list(user: string, text: string) {
  const cmd = await t.command(user, text);
  expect(cmd.status).toBe(200);
  return answerOf(cmd.responseId);
}
async function click(call: SlackCall, actionId: string, user: string, o: { teamId?: string; value?: string } = {}) {
  const c = await t.click(actionId, o.value ?? button(call, actionId).value, user, o);
  expect(c.status).toBe(200);
  expect(c.ms).toBeLessThan(3000);
  return answerOf(c.responseId);
}

describe('/permission list over 10,000 permissions', () => {
  it('answers the first page with Next, and says how many there are and which page', async () => {
    const all = (await t.kw.permissions.list(WS_ID)).map((v) => v.user.email);
    const first = await list(APPROVER1, 'list');
    expect(first.args.text).toBe(`${N} permissions in meshlab · page 1 of ${N / LIST_PAGE_SIZE}`);
    expect(emails(first)).toEqual(all.slice(0, LIST_PAGE_SIZE));
    expect(buttons(first)).toEqual(['Next']);
    expect(first.args.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(first.args.blocks)).toContain(`1-${LIST_PAGE_SIZE} of ${N}, by email`);

    const second = await click(first, ids.PERMISSION_LIST_NEXT, APPROVER1);
    expect(second.args.replace_original).toBe(true);
    expect(second.args.text).toBe(`${N} permissions in meshlab · page 2 of ${N / LIST_PAGE_SIZE}`);
    expect(emails(second)).toEqual(all.slice(LIST_PAGE_SIZE, 2 * LIST_PAGE_SIZE));
    expect(buttons(second)).toEqual(['Previous', 'Next']);

    const back = await click(second, ids.PERMISSION_LIST_PREVIOUS, APPROVER1);
    expect(emails(back)).toEqual(all.slice(0, LIST_PAGE_SIZE));
  });

  it('keeps the query and the status across pages, to the last page', async () => {
    const want = (await t.kw.permissions.list(WS_ID, { query: 'ann', status: 'INVITED' })).map((v) => v.user.email);
    const pages = Math.ceil(want.length / LIST_PAGE_SIZE);
    expect(pages).toBeGreaterThan(2);
    let page = await list(ADMIN, 'list ann status:invited');
    expect(page.args.text).toBe(`${want.length} permissions in meshlab matching "ann" with status INVITED · page 1 of ${pages}`);
    const seen = emails(page);
    for (let p = 2; p <= pages; p++) {
      page = await click(page, ids.PERMISSION_LIST_NEXT, ADMIN);
      expect(page.args.text).toMatch(new RegExp(`matching "ann" with status INVITED · page ${p} of ${pages}$`));
      seen.push(...emails(page));
    }
    expect(seen).toEqual(want);
    expect(buttons(page)).toEqual(['Previous']);
  });

  it('refuses a forged page button: another Slack team\'s workspace, someone who may not list, a value not of ours', async () => {
    const first = await list(APPROVER1, 'list');
    const value = JSON.parse(button(first, ids.PERMISSION_LIST_NEXT).value);
    // The strict workspace is of Slack team T2: a click from T1 naming it lists nothing.
    const foreign = await click(first, ids.PERMISSION_LIST_NEXT, ADMIN, { value: JSON.stringify({ ...value, w: WS2_ID }) });
    expect(foreign.args).toMatchObject({ replace_original: false, text: expect.stringMatching(/not \(or no longer\) configured for this Slack team/) });
    expect(foreign.args.blocks).toBeUndefined();
    // Someone who is neither admin nor approver, with a real button.
    const outsider = await click(first, ids.PERMISSION_LIST_NEXT, OUTSIDER);
    expect(outsider.args).toMatchObject({ replace_original: false, text: expect.stringMatching(/Only admins and approvers of meshlab/) });
    // A value that is not a page of ours.
    for (const bad of ['{"w":"x","p":"2"}', 'not json', JSON.stringify({ ...value, s: 'GONE' }), JSON.stringify({ ...value, q: 'x'.repeat(201) })]) {
      const refused = await click(first, ids.PERMISSION_LIST_NEXT, ADMIN, { value: bad });
      expect(refused.args, bad).toMatchObject({ replace_original: false, text: expect.stringMatching(/did not name a page of the list/) });
    }
    // The right team's own workspace still pages.
    const own = await click(first, ids.PERMISSION_LIST_NEXT, ADMIN, { teamId: TEAM2, value: JSON.stringify({ w: WS2_ID, p: 1 }) });
    expect(own.args.text).toBe('3 permissions in strict');
    expect(t.logs.text).toMatch(/"refusal":"AUTH.OTHER_WORKSPACE"/);
  });

  it('refuses a query longer than a page button can carry, saying how long one may be', async () => {
    const cmd = await t.command(ADMIN, `list ${'x'.repeat(201)}`);
    expect(cmd.json.text).toMatch(/A query of at most 200 characters/);
  });
});
