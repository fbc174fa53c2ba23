/**
 * `/techuser create` and `/permission role` typed alone open a form (views.open with the
 * command's trigger_id, recorded by the fake Slack); its signed view_submission makes the same
 * request the command would, or answers field errors in the form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forms } from '../../src/slack/forms/ids.js';
import { ADMIN, APPROVALS, OUTSIDER, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { commandOpeningForm, submitOpened, submitView } from '../helpers/views.js';
import { pickPerson, suggest } from '../helpers/slack-options.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const block = (view: any, id: string) => view.blocks.find((b: any) => b.block_id === id);

/** The request whose approval message mentions `needle`. */
async function posted(needle: string) {
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(needle));
  const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  return (await t.store.requests.findById(id))!;
}

describe('/techuser create with no arguments', () => {
  it('opens a form with a username, a role select and an expiry date picker', async () => {
    const cmd = await commandOpeningForm(t, ADMIN, 'create', '/techuser');
    expect(cmd.res.status).toBe(200);
    expect(cmd.res.text).toBe('');
    const view = (await cmd.opened()).args.view;
    expect(view).toMatchObject({ type: 'modal', callback_id: forms.TECHUSER_CREATE });
    expect(JSON.parse(view.private_metadata)).toEqual({ workspaceId: WS_ID, responseUrl: t.slack.responseUrl(cmd.responseId) });
    expect(block(view, 'role').element.options.map((o: any) => o.value)).toEqual(['VIEWER', 'MEMBER', 'ADMIN']);
    expect(block(view, 'expiry').element).toMatchObject({ type: 'datepicker', initial_date: inDays(90) });
    expect(block(view, 'username').element.type).toBe('plain_text_input');
  });

  it('answers wrong fields in the form, each under its input, and requests nothing', async () => {
    const opened = await (await commandOpeningForm(t, ADMIN, 'create', '/techuser')).opened();
    const posts = t.slack.callsTo('chat.postMessage').length;
    const missing = await submitOpened(t, opened, ADMIN, { username: null, role: null, expiry: { date: inDays(30) } });
    expect(missing.json).toEqual({ response_action: 'errors', errors: { username: 'Give the technical user a username.', role: 'Choose a role.' } });
    const badName = await submitOpened(t, opened, ADMIN, { username: 'x!', role: { option: 'MEMBER' }, expiry: { date: inDays(30) } });
    expect(badName.json.errors).toEqual({ username: expect.stringMatching(/is not a valid username/) });
    const past = await submitOpened(t, opened, ADMIN, { username: 'form-bot', role: { option: 'MEMBER' }, expiry: { date: '2020-01-01' } });
    expect(past.json.errors).toEqual({ expiry: 'The expiry date 2020-01-01 is not in the future.' });
    const badLabel = await submitOpened(t, opened, ADMIN, { username: 'form-bot', role: { option: 'MEMBER' }, expiry: { date: inDays(30) }, aces: 'ok, not ok!' });
    expect(badLabel.json.errors).toEqual({ aces: expect.stringMatching(/not a valid access control entity/) });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(posts);
  });

  it('creates the same request the command would, and answers where the command was typed', async () => {
    const cmd = await commandOpeningForm(t, ADMIN, 'create', '/techuser');
    const sent = await submitOpened(t, await cmd.opened(), ADMIN, {
      username: 'form-bot', role: { option: 'MEMBER' }, expiry: { date: inDays(60) },
      description: 'Made in a form', customer_roles: 'reader, , writer', aces: null,
    });
    expect(sent.status).toBe(200);
    expect(sent.text).toBe('');
    expect(await t.answer(cmd.responseId)).toMatch(/Request [0-9a-f]{8} \(Create technical user form-bot .*\) was sent to <#CAPPROVALS> for approval/);
    const r = await posted('form-bot');
    expect(r).toMatchObject({
      kind: 'techuser.create', requester: ADMIN, status: 'PENDING', reason: null,
      params: { userName: 'form-bot', role: 'MEMBER', expiry: inDays(60), description: 'Made in a form', customerRoles: ['reader', 'writer'], accessControlEntities: [] },
    });
  });

  it('gives no form to someone who may not request, and keeps the command for anything with arguments', async () => {
    const outsider = await commandOpeningForm(t, OUTSIDER, 'create', '/techuser');
    expect(await t.answer(outsider.responseId)).toMatch(/Only admins of workspace meshlab/);
    const withArgs = await commandOpeningForm(t, ADMIN, 'create half-typed', '/techuser');
    expect(withArgs.res.json.text).toMatch(/A role is missing/);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.slack.callsTo('views.open').filter((c) => [outsider.triggerId, withArgs.triggerId].includes(c.args.trigger_id))).toEqual([]);
  });

  it('refuses a submission whose metadata was not made by us, changing nothing', async () => {
    const before = t.slack.callsTo('chat.postMessage').length;
    const forged = await submitView(t, {
      callbackId: forms.TECHUSER_CREATE, privateMetadata: '{"workspaceId":{"$gt":""}}', userId: ADMIN,
      values: { username: 'forged-bot', role: { option: 'ADMIN' }, expiry: { date: inDays(30) } },
    });
    expect(forged.status).toBe(200);
    expect(t.logs.text).toContain('SLACK.MALFORMED_PAYLOAD');
    await new Promise((r) => setTimeout(r, 200));
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(before);
  });
});

describe('/permission role with no arguments', () => {
  it('opens a form whose person picker searches the workspace\'s users as one types, and a role', async () => {
    const view = (await (await commandOpeningForm(t, ADMIN, 'role', '/permission')).opened()).args.view;
    expect(view.callback_id).toBe(forms.PERMISSION_ROLE);
    expect(block(view, 'user').element).toMatchObject({ type: 'external_select', action_id: 'value', min_query_length: 1 });
    const { options } = await suggest(t, view, ADMIN, 'J');
    expect(options.map((o) => o.text.text)).toEqual(['jane.roe@meshlab.de', 'john.doe@meshlab.de']);
    expect(options[0]).toEqual({ text: { type: 'plain_text', text: 'jane.roe@meshlab.de' }, description: { type: 'plain_text', text: 'Jane Roe · MEMBER, ACTIVE' }, value: (await t.store.users.findByEmail('jane.roe@meshlab.de'))!.id });
    expect((await suggest(t, view, ADMIN, 'roe')).options.map((o) => o.text.text)).toEqual(['jane.roe@meshlab.de']);
    expect(block(view, 'role').element.type).toBe('static_select');
  });

  it('submits the same request as `/permission role <email> <role> <reason>`, and shows rule violations under the field', async () => {
    const cmd = await commandOpeningForm(t, ADMIN, 'role workspace:meshlab', '/permission');
    const opened = await cmd.opened();
    const unchanged = await submitOpened(t, opened, ADMIN, { user: await pickPerson(t, opened.args.view, ADMIN, 'jane.roe@meshlab.de'), role: { option: 'MEMBER' }, reason: null });
    expect(unchanged.json).toEqual({ response_action: 'errors', errors: { role: expect.stringMatching(/Nothing to change/) } });
    const sent = await submitOpened(t, opened, ADMIN, { user: await pickPerson(t, opened.args.view, ADMIN, 'jane.roe@meshlab.de'), role: { option: 'ADMIN' }, reason: 'runs the inventory now' });
    expect(sent.text).toBe('');
    expect(await t.answer(cmd.responseId)).toMatch(/Change the role of jane.roe@meshlab.de to ADMIN\) was sent to <#CAPPROVALS>/);
    const r = await posted('Change the role of jane.roe@meshlab.de to ADMIN');
    expect(r).toMatchObject({ kind: 'permission.role', params: { email: 'jane.roe@meshlab.de', role: 'ADMIN' }, reason: 'runs the inventory now', requester: ADMIN });
  });
});
