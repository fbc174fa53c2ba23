import { describe, expect, it } from 'vitest';
import type { ChangeRequest } from '../../../src/domain/request.js';
import { DEFAULT_POLICY, type Workspace } from '../../../src/domain/workspace.js';
import { grantExtendForm, permissionRoleForm, rejectForm, techuserCreateForm } from '../../../src/slack/blocks/forms.js';
import { historyText } from '../../../src/slack/blocks/techusers.js';
import { statusLine } from '../../../src/slack/blocks/request.js';
import { forms } from '../../../src/slack/forms/ids.js';

const ws: Workspace = {
  id: 'ws-1', name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'CAPPROVALS', notificationChannels: [] },
  admins: ['UADMIN'], approvers: ['UA1'], policy: { ...DEFAULT_POLICY },
};
const NOW = new Date('2030-01-10T12:00:00.000Z');
const ID = '3f2b8c1e-7a4d-4e5f-9b6a-0c1d2e3f4a5b';
const plain = (text: string) => ({ type: 'plain_text', text });
const durations = [['permanent', 'Permanent'], ['1h', '1 hour'], ['4h', '4 hours'], ['1d', '1 day'], ['3d', '3 days'], ['1w', '1 week']].map(([value, text]) => ({ text: plain(text!), value }));
const roles = { type: 'static_select', action_id: 'value', placeholder: plain('Choose a role'), options: ['VIEWER', 'MEMBER', 'ADMIN'].map((r) => ({ text: plain(r), value: r })) };

describe('techuserCreateForm', () => {
  it('asks for username, role, expiry (90 days ahead by default), description and labels', () => {
    expect(techuserCreateForm(ws, { workspaceId: 'ws-1', responseUrl: 'https://hooks.slack.com/commands/1' }, NOW)).toEqual({
      type: 'modal', callback_id: forms.TECHUSER_CREATE,
      private_metadata: '{"workspaceId":"ws-1","responseUrl":"https://hooks.slack.com/commands/1"}',
      title: plain('New technical user'), submit: plain('Request'), close: plain('Cancel'),
      blocks: [
        { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: 'Workspace *meshlab*. An approver in <#CAPPROVALS> decides; once it is created you can reveal its API token once, in your DM with Keywarden.' }] },
        { type: 'input', block_id: 'username', label: plain('Username'), optional: false, element: { type: 'plain_text_input', action_id: 'value', multiline: false, max_length: 64, placeholder: plain('ci-pipeline') }, hint: plain('3-64 characters: letters, digits, dot, dash or underscore.') },
        { type: 'input', block_id: 'role', label: plain('Role'), element: roles },
        { type: 'input', block_id: 'expiry', label: plain('Token expiry date'), element: { type: 'datepicker', action_id: 'value', initial_date: '2030-04-10' }, hint: plain('The token works through the end of this day (UTC); at most five years away.') },
        { type: 'input', block_id: 'description', label: plain('Description'), optional: true, element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500 } },
        { type: 'input', block_id: 'customer_roles', label: plain('Customer roles'), optional: true, element: { type: 'plain_text_input', action_id: 'value', multiline: false, placeholder: plain('inventory-reader, reporting') }, hint: plain('Comma-separated.') },
        { type: 'input', block_id: 'aces', label: plain('Access control entities'), optional: true, element: { type: 'plain_text_input', action_id: 'value', multiline: false, placeholder: plain('team-a, team-b') }, hint: plain('Comma-separated.') },
      ],
    });
  });
});

describe('grantExtendForm', () => {
  it('says what the grant is and offers only extensions within the room left, escaping the label', () => {
    const grant = { requestId: ID, requester: 'UADMIN', role: 'ADMIN' as const, revertTo: 'MEMBER' as const, grantedAt: NOW, until: new Date(NOW.getTime() + 4 * 3600_000) };
    const view = grantExtendForm('a*b@x.de', grant, 1500, { grantId: ID, fromHome: false });
    expect(view).toMatchObject({ callback_id: forms.GRANT_EXTEND, private_metadata: JSON.stringify({ grantId: ID, fromHome: false }) });
    expect((view.blocks[0] as any).text.text).toBe('*a<!date^00000000^{_}|*>b@x.de* has ADMIN until <!date^1894291200^{date_short_pretty} {time}|2030-01-10T16:00:00.000Z>, then MEMBER again. An approver decides an extension.');
    const select = (view.blocks[1] as any).element;
    expect(select.options.map((o: any) => o.value)).toEqual(['1h', '4h', '1d']);
    expect(select.initial_option).toEqual(select.options[0]);
  });
});

describe('permissionRoleForm', () => {
  it('picks the person with a select that searches as one types, then a role, a duration and an optional reason', () => {
    const view = permissionRoleForm(ws, { workspaceId: 'ws-1' });
    expect(view.private_metadata).toBe('{"workspaceId":"ws-1"}');
    expect(view.blocks.slice(1)).toEqual([
      {
        type: 'input', block_id: 'user', label: plain('User'),
        element: { type: 'external_select', action_id: 'value', placeholder: plain('Type a name or an email'), min_query_length: 1 },
        hint: plain('Type the first letters of a name or an email; up to 100 people are listed.'),
      },
      { type: 'input', block_id: 'role', label: plain('New role'), element: roles },
      {
        type: 'input', block_id: 'duration', label: plain('For how long'),
        element: { type: 'static_select', action_id: 'value', options: durations, initial_option: durations[0] },
        hint: plain('A time-bound role goes back to the current one by itself when the time is up.'),
      },
      { type: 'input', block_id: 'reason', label: plain('Reason'), optional: true, element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500 } },
    ]);
  });

  it('offers only the durations the workspace allows (maxGrantHours)', () => {
    const short = { ...ws, policy: { ...ws.policy, maxGrantHours: 24 } };
    const select = (permissionRoleForm(short, { workspaceId: 'ws-1' }).blocks[3] as any).element;
    expect(select.options.map((o: any) => o.value)).toEqual(['permanent', '1h', '4h', '1d']);
  });
});

describe('rejectForm', () => {
  it('names the request and asks why, keeping where to answer in its metadata', () => {
    const r = { id: ID, kind: 'techuser.delete', params: { userName: 'ci-bot' }, requester: 'UADMIN' } as ChangeRequest;
    expect(rejectForm(r, { requestId: ID, fromHome: false, message: { channel: 'C1', ts: '1.2' } })).toEqual({
      type: 'modal', callback_id: forms.REJECT,
      private_metadata: `{"requestId":"${ID}","fromHome":false,"message":{"channel":"C1","ts":"1.2"}}`,
      title: plain('Reject request'), submit: plain('Reject'), close: plain('Cancel'),
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: '*Delete technical user ci-bot and its token*\nRequested by <@UADMIN>' } },
        { type: 'input', block_id: 'reason', label: plain('Why is it rejected?'), optional: false, element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500 }, hint: plain('The requester reads this; it is kept on the request and in its history.') },
      ],
    });
  });
});

describe('the rejection reason', () => {
  it('is shown, escaped, on the rewritten message and in /techuser history', () => {
    const r = { status: 'REJECTED', decidedBy: 'UA1', outcome: 'use <!here> & the API', approvals: [] } as unknown as ChangeRequest;
    expect(statusLine(r, ws)).toBe(':no_entry: Rejected by <@UA1>: use &lt;!here&gt; &amp; the API');
    const line = historyText('ci-bot', [{
      id: 'h1', workspaceId: 'ws-1', subject: { type: 'technicalUser', id: 't1', label: 'ci-bot' }, action: 'techuser.rotate_rejected',
      actor: { type: 'slack', id: 'UA1' }, requestId: ID, approvers: [], before: null, after: null, reason: 'not <today>', at: NOW,
    }]);
    expect(line).toBe('*History of ci-bot* (newest first)\n• 2030-01-10 12:00 UTC — rotate_rejected by <@UA1> (request 3f2b8c1e) — reason: not &lt;today&gt;');
  });
});
