/**
 * Policy rules with a Slack user group as approvers, through the real Bolt app and the fake
 * Slack: the group is read with usergroups.users.list (once, then from the cache), read again
 * after subteam_members_changed, and someone taken out of the group can no longer decide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, APPROVER1, APPROVER2, SIGNING_SECRET, startTestApp, testSeed, type TestApp } from '../helpers/keywarden.js';
import { postSigned } from '../helpers/slack-requests.js';
import { openHome } from '../helpers/views.js';
import { requestWithStatus } from '../helpers/wait.js';

const SEC = 'S0SECURITY';
const [ALICE, BOB, CAROL] = ['UALICE', 'UBOB', 'UCAROL'];

let t: TestApp;
beforeAll(async () => {
  const seed = testSeed();
  (seed.workspaces[0]!.policy as object) = {
    requiredApprovals: 1, requestTtlHours: 72,
    rules: [{ kinds: ['permission.role'], roles: ['ADMIN'], approvals: 2, approvers: [SEC] }],
  };
  t = await startTestApp({ seed });
  t.slack.groups.set(SEC, [ALICE, BOB, ADMIN]);
});
afterAll(async () => {
  await t?.stop();
});

async function ask(text: string): Promise<{ id: string; blocks: string }> {
  const reply = await t.answer((await t.command(ADMIN, text)).responseId);
  const short = /Request ([0-9a-f]{8})/.exec(reply)?.[1];
  expect(short, reply).toBeDefined();
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short!));
  return { id: post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value, blocks: JSON.stringify(post.args.blocks) };
}

const click = async (id: string, user: string) => t.answer((await t.click(ids.APPROVE, id, user)).responseId);

async function groupChanged(members: string[]) {
  t.slack.groups.set(SEC, members);
  const body = JSON.stringify({
    token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: `Ev${Date.now()}`, event_time: Math.floor(Date.now() / 1000),
    event: { type: 'subteam_members_changed', subteam_id: SEC, team_id: 'T1', added_users: [], removed_users: [], event_ts: String(Date.now() / 1000) },
  });
  expect((await postSigned(t.kw.url!, body, { secret: SIGNING_SECRET, contentType: 'application/json' })).status).toBe(200);
}

const waitForStatus = (id: string, status: string) => requestWithStatus(t.store, id, status, 10_000);

describe('a rule whose approvers are a user group', () => {
  it('says which rule applies and who decides; refuses people outside the group, the requester in it, and reads the group once', async () => {
    const { id, blocks } = await ask('role jane.roe@meshlab.de ADMIN');
    expect(blocks).toContain(`Needs 2 approvals from <!subteam^${SEC}> (rule 1)`);
    // A workspace approver who is not in the group has no say under this rule.
    expect(await click(id, APPROVER1)).toMatch(new RegExp(`Only <!subteam\\^${SEC}> can decide this request`));
    expect(await click(id, ADMIN)).toMatch(/cannot decide your own request/);
    expect(await click(id, ALICE)).toMatch(/needs another approver/);
    const ref = (await t.store.requests.findById(id))!.slack!;
    const partial = await t.slack.waitFor('chat.update', (c) => c.args.ts === ref.ts);
    expect(JSON.stringify(partial.args.blocks)).toContain('1 of 2 so far');
    expect(t.slack.callsTo('usergroups.users.list')).toHaveLength(1);
    expect(t.slack.callsTo('usergroups.users.list')[0]!.args).toEqual({ usergroup: SEC });
  });

  it('reads the group again after subteam_members_changed: a member taken out is refused, one added decides', async () => {
    const { id } = await ask('role max.muster@meshlab.de ADMIN');
    expect(await click(id, ALICE)).toMatch(/needs another approver/);
    const reads = t.slack.callsTo('usergroups.users.list').length;
    await groupChanged([ALICE, CAROL]);
    expect(await click(id, BOB)).toMatch(/Only <!subteam\^S0SECURITY> can decide/);
    expect(t.slack.callsTo('usergroups.users.list').length).toBe(reads + 1);
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
    expect(await click(id, CAROL)).toMatch(/^Approved/);
    const done = await waitForStatus(id, 'APPLIED');
    expect(done.approvals.map((a) => a.by)).toEqual([ALICE, CAROL]);
  });

  it('shows each approver on the Home tab only what they may decide: a group member who is no workspace approver sees the group\'s request, a workspace approver outside the group does not', async () => {
    const { id } = await ask('role john.doe@meshlab.de ADMIN');
    const plain = await ask('role max.muster@meshlab.de VIEWER');
    const buttonsFor = (view: any, rid: string) => view.blocks.some((b: any) => b.type === 'actions' && b.block_id === `decision:${rid}`);
    const carol = (await openHome(t, CAROL)).args.view;
    expect(buttonsFor(carol, id)).toBe(true);
    expect(buttonsFor(carol, plain.id)).toBe(false);
    const approver = (await openHome(t, APPROVER1)).args.view;
    expect(buttonsFor(approver, id)).toBe(false);
    expect(buttonsFor(approver, plain.id)).toBe(true);
    expect(await click(plain.id, APPROVER1)).toMatch(/^Approved/);
  });

  it('leaves requests no rule matches to the workspace approvers', async () => {
    const { id, blocks } = await ask('role jane.roe@meshlab.de VIEWER');
    expect(blocks).toContain('Needs 1 approval from approvers of workspace meshlab');
    expect(await click(id, ALICE)).toMatch(/Only approvers of workspace meshlab can decide/);
    expect(await click(id, APPROVER2)).toMatch(/^Approved/);
    await waitForStatus(id, 'APPLIED');
  });

  it('refuses to decide, and says so, when Slack cannot say who is in the group', async () => {
    const { id } = await ask('role john.doe@meshlab.de ADMIN');
    await groupChanged([ALICE, CAROL]);
    t.slack.failNext('usergroups.users.list', { error: 'ratelimited' });
    expect(await click(id, ALICE)).toMatch(/Could not read who is in <!subteam\^S0SECURITY> from Slack/);
    expect((await t.store.requests.findById(id))!.approvals).toEqual([]);
    expect(await click(id, ALICE)).toMatch(/needs another approver/);
  });
});
