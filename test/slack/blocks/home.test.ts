import { describe, expect, it } from 'vitest';
import type { HomeWorkspace } from '../../../src/app/home.js';
import type { ChangeRequest } from '../../../src/domain/request.js';
import type { TechnicalUser } from '../../../src/domain/technical-user.js';
import { DEFAULT_POLICY, type Workspace } from '../../../src/domain/workspace.js';
import { homeView } from '../../../src/slack/blocks/home.js';
import { ids } from '../../../src/slack/ids.js';

const NOW = new Date('2030-01-10T12:00:00.000Z');
const CREATED = new Date('2030-01-10T10:00:00.000Z'); // 1894269600
const EXPIRES = new Date('2030-01-13T10:00:00.000Z'); // 1894528800
const ID = '3f2b8c1e-7a4d-4e5f-9b6a-0c1d2e3f4a5b';
const ID2 = '9a8b7c6d-1111-4222-8333-944455556666';

const ws: Workspace = {
  id: 'ws-1', name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'CAPPROVALS', notificationChannels: [] },
  admins: ['UADMIN', 'UBOTH'], approvers: ['UA1', 'UBOTH'], policy: { ...DEFAULT_POLICY },
};

const request = (over: Partial<ChangeRequest> = {}): ChangeRequest => ({
  id: ID, workspaceId: 'ws-1', kind: 'permission.role', params: { email: 'john.doe@meshlab.de', role: 'ADMIN' },
  requester: 'UADMIN', reason: 'runs <the> inventory', status: 'PENDING', approvals: [], decidedBy: null, decidedAt: null,
  createdAt: CREATED, expiresAt: EXPIRES, slack: null, outcome: null, appliedAt: null, notifiedAt: null, version: 0, ...over,
} as ChangeRequest);

const techUser = (userName: string, expiresAt: Date, revoked = false): TechnicalUser => ({
  id: `tu-${userName}`, workspaceId: 'ws-1', userName, description: '', role: 'MEMBER', customerRoles: [], accessControlEntities: [],
  token: { hash: 'h', lastFour: 'wxyz', createdAt: CREATED, expiresAt, revealBy: null, revokedAt: revoked ? CREATED : null, nextWarningAt: null, lastWarnedDays: null },
  createdAt: CREATED, version: 0, lastRequestId: null,
});

const home = (over: Partial<HomeWorkspace>): HomeWorkspace => ({
  workspace: ws, isAdmin: false, isApprover: false, pending: [], mine: [], technicalUsers: [], grants: [], grantsTotal: 0, ...over,
});

const top = [
  { type: 'header', text: { type: 'plain_text', text: 'Keywarden' } },
  { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: 'Requests, approvals and technical users of your LeanIX workspaces. Updated <!date^1894276800^{date_short_pretty}|2030-01-10>.' }] },
];
const wsHeader = (part: string) => [
  { type: 'divider' },
  { type: 'header', text: { type: 'plain_text', text: 'meshlab' } },
  { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: `You are ${part} of meshlab. Requests are decided in <#CAPPROVALS>.` }] },
];
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', verbatim: true, text } });
const pendingText = `*Change the role of john.doe@meshlab.de to ADMIN*\nRequested by <@UADMIN> <!date^1894269600^{date_short_pretty}|2030-01-10> · request 3f2b8c1e\nReason: runs &lt;the&gt; inventory\n:hourglass_flowing_sand: Needs 1 approval from approvers of workspace meshlab. Expires <!date^1894528800^{date_short_pretty} {time}|2030-01-13T10:00:00.000Z>.`;

describe('homeView', () => {
  it('gives an approver the pending requests with Approve and Reject (the approval message\'s action ids), and the technical users', () => {
    const view = homeView([home({ isApprover: true, pending: [request()], technicalUsers: [techUser('soon-bot', new Date('2030-01-13T00:00:00.000Z'))] })], 'UA1', NOW);
    expect(view).toEqual({
      type: 'home',
      blocks: [
        ...top,
        ...wsHeader('an approver'),
        section('*Pending requests* (1)'),
        section(pendingText),
        {
          type: 'actions', block_id: `decision:${ID}`,
          elements: [
            { type: 'button', action_id: ids.APPROVE, style: 'primary', value: ID, text: { type: 'plain_text', text: 'Approve' } },
            { type: 'button', action_id: ids.REJECT, style: 'danger', value: ID, text: { type: 'plain_text', text: 'Reject' } },
          ],
        },
        section('*Technical users* (nearest expiry first)\n• *soon-bot* (MEMBER): token …wxyz expires 2030-01-12 (in 3 days)'),
      ],
    });
  });

  it('gives an admin their own requests with status and outcome; their own pending request has no buttons', () => {
    const rejected = request({ id: ID2, status: 'REJECTED', decidedBy: 'UA1', outcome: 'not <now>' });
    const view = homeView([home({ isAdmin: true, isApprover: true, pending: [request({ requester: 'UBOTH' })], mine: [rejected] })], 'UBOTH', NOW);
    expect(view.blocks.slice(top.length)).toEqual([
      ...wsHeader('an admin and an approver'),
      section('*Pending requests* (1)'),
      section(pendingText.replace('<@UADMIN>', '<@UBOTH>')),
      { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: 'This is your request: another approver decides it.' }] },
      section('*Your recent requests*\n• <!date^1894269600^{date_short_pretty}|2030-01-10> Change the role of john.doe@meshlab.de to ADMIN — *REJECTED*: not &lt;now&gt;'),
      section('*Technical users*\nNone yet: an admin can create one with `/techuser create`.'),
    ]);
  });

  it('says when an approver already approved and another is needed', () => {
    const r = request({ approvals: [{ by: 'UA1', at: CREATED }] });
    const view = homeView([home({ isApprover: true, pending: [r] })], 'UA1', NOW);
    expect(view.blocks).toContainEqual({ type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: 'You approved this; it is waiting for another approver.' }] });
    expect(view.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('marks expired and revoked tokens, and puts a notice on top', () => {
    const view = homeView([home({ isAdmin: true, technicalUsers: [techUser('old-bot', new Date('2030-01-05T00:00:00.000Z')), techUser('lost-bot', EXPIRES, true)] })], 'UADMIN', NOW, 'Rejected. The requester has been told.');
    expect(view.blocks[2]).toEqual(section('Rejected. The requester has been told.'));
    expect(view.blocks.at(-1)).toEqual(section('*Technical users* (nearest expiry first)\n• *old-bot* (MEMBER): token …wxyz :x: expired 2030-01-04\n• *lost-bot* (MEMBER): token …wxyz revoked (never revealed)'));
    expect(view.blocks).toContainEqual(section('*Your recent requests*\nNone yet: ask for a change with `/permission` or `/techuser`.'));
  });

  it('tells someone with no part in any workspace so', () => {
    expect(homeView([], 'UX', NOW).blocks.slice(2)).toEqual([
      section('You are not an admin or approver of any Keywarden workspace in this Slack team, so there is nothing to show here. Ask an operator to add you to the seed file if you should be.'),
    ]);
  });

  it('stays within Slack\'s 100 blocks, saying there is more', () => {
    const many = Array.from({ length: 10 }, (_, i) => home({ workspace: { ...ws, name: `ws-${i}` }, isApprover: true, pending: Array.from({ length: 10 }, (_, j) => request({ id: `${i}-${j}` })) }));
    const view = homeView(many, 'UA1', NOW);
    expect(view.blocks).toHaveLength(100);
    expect(view.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: 'There is more than a Home tab can show; use `/techuser list` and the approvals channel.' }] });
  });

  it('lists active grants with End now beside each, and says when there are more than it shows', () => {
    const grant = (i: number) => ({
      subject: { type: 'permission' as const, id: `p-${i}`, label: `u${i}@x.de` },
      grant: { requestId: `00000000-0000-4000-8000-00000000000${i}`, requester: 'UADMIN', role: 'ADMIN' as const, revertTo: 'MEMBER' as const, grantedAt: NOW, until: new Date(NOW.getTime() + (i + 1) * 3600_000) },
    });
    const view = homeView([home({ isApprover: true, grants: [grant(0), grant(1)], grantsTotal: 11 })], 'UA1', NOW);
    const at = view.blocks.findIndex((b: any) => b.text?.text?.startsWith('*Active grants*'));
    expect((view.blocks[at] as any).text.text).toBe('*Active grants* (soonest end first · the 2 ending soonest; `/permission grants` lists them all)');
    expect(view.blocks[at + 1]).toEqual({
      type: 'section', block_id: 'grant:00000000-0000-4000-8000-000000000000',
      text: { type: 'mrkdwn', verbatim: true, text: 'u0@x.de: ADMIN until <!date^1894280400^{date_short_pretty} {time}|2030-01-10T13:00:00.000Z> (60 minutes left), then MEMBER; asked by <@UADMIN>, request 00000000' },
      accessory: { type: 'button', action_id: ids.GRANT_END_NOW, value: '00000000-0000-4000-8000-000000000000', text: { type: 'plain_text', text: 'End now' } },
    });
    // An admin's own grants are headed as theirs; nobody with none sees the heading at all.
    expect(JSON.stringify(homeView([home({ isAdmin: true, grants: [grant(0)], grantsTotal: 1 })], 'UADMIN', NOW).blocks)).toContain('*Your active grants* (soonest end first)');
    expect(JSON.stringify(homeView([home({ isApprover: true })], 'UA1', NOW).blocks)).not.toMatch(/active grants/i);
  });
});
