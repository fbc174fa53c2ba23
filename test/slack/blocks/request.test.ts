import { describe, expect, it } from 'vitest';
import type { ChangeRequest } from '../../../src/domain/request.js';
import { DEFAULT_POLICY, type Workspace } from '../../../src/domain/workspace.js';
import { approvalRequestBlocks, describeRequest, shortId, statusLine } from '../../../src/slack/blocks/request.js';
import { ids } from '../../../src/slack/ids.js';
import { utcDatesAsSlack } from '../../../src/slack/blocks/dates.js';
import { grantsListText } from '../../../src/slack/blocks/grants.js';

const ID = '3f2b8c1e-7a4d-4e5f-9b6a-0c1d2e3f4a5b';
const CREATED = new Date('2030-01-01T10:00:00.000Z');
const EXPIRES = new Date('2030-01-04T10:00:00.000Z'); // 1893751200 seconds
const DECIDED = new Date('2030-01-01T11:00:00.000Z');

const ws = (requiredApprovals = 1): Workspace => ({
  id: 'ws-1', name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'CAPPROVALS', notificationChannels: [] },
  admins: ['UADMIN'], approvers: ['UA1', 'UA2'], policy: { ...DEFAULT_POLICY, requiredApprovals },
});

function request(over: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    id: ID, workspaceId: 'ws-1', kind: 'permission.role', params: { email: 'john.doe@meshlab.de', role: 'ADMIN' },
    requester: 'UADMIN', reason: 'runs the inventory now', status: 'PENDING', approvals: [], decidedBy: null, decidedAt: null,
    createdAt: CREATED, expiresAt: EXPIRES, slack: null, outcome: null, appliedAt: null, notifiedAt: null, version: 0,
    ...over,
  } as ChangeRequest;
}

const header = {
  type: 'section',
  text: { type: 'mrkdwn', verbatim: true, text: '*Change the role of john.doe@meshlab.de to ADMIN*\nWorkspace *meshlab*, requested by <@UADMIN>' },
};
const reasonBlock = { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: 'Reason: runs the inventory now' } };
const context = (text: string) => ({ type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: `${text}  ·  request 3f2b8c1e` }] });

describe('approvalRequestBlocks', () => {
  it('shows a PENDING request with Approve and Reject buttons whose value is the request id', () => {
    expect(approvalRequestBlocks(request(), ws())).toEqual([
      header,
      reasonBlock,
      context(':hourglass_flowing_sand: Needs 1 approval from approvers of workspace meshlab. Expires <!date^1893751200^{date_short_pretty} {time}|2030-01-04T10:00:00.000Z>.'),
      {
        type: 'actions',
        block_id: 'decision',
        elements: [
          { type: 'button', action_id: ids.APPROVE, style: 'primary', value: ID, text: { type: 'plain_text', text: 'Approve' } },
          { type: 'button', action_id: ids.REJECT, style: 'danger', value: ID, text: { type: 'plain_text', text: 'Reject' } },
        ],
      },
    ]);
  });

  it('keeps the buttons while a two-approver request has one approval, and says so', () => {
    const blocks = approvalRequestBlocks(request({ approvals: [{ by: 'UA1', at: DECIDED }] }), ws(2));
    expect(blocks[2]).toEqual(context(':hourglass_flowing_sand: Needs 2 approvals from approvers of workspace meshlab; 1 of 2 so far: approved by <@UA1>.'));
    expect(blocks.at(-1)).toMatchObject({ type: 'actions' });
  });

  it('leaves the reason block out when there is no reason', () => {
    expect(approvalRequestBlocks(request({ reason: null }), ws()).map((b) => b.type)).toEqual(['section', 'context', 'actions']);
  });

  const decided: Array<[string, Partial<ChangeRequest>, string]> = [
    ['APPROVED', { approvals: [{ by: 'UA1', at: DECIDED }], decidedBy: 'UA1' }, ':white_check_mark: Approved by <@UA1>. Applying…'],
    ['APPLIED', { approvals: [{ by: 'UA1', at: DECIDED }, { by: 'UA2', at: DECIDED }], decidedBy: 'UA2', outcome: 'john.doe@meshlab.de is now ADMIN and ACTIVE.' },
      ':white_check_mark: Approved by <@UA1> and <@UA2>. Applied: john.doe@meshlab.de is now ADMIN and ACTIVE.'],
    ['FAILED', { approvals: [{ by: 'UA1', at: DECIDED }], decidedBy: 'UA1', outcome: 'Nothing to change.' },
      ':x: Approved by <@UA1>, but it could not be applied: Nothing to change.'],
    ['REJECTED', { decidedBy: 'UA2' }, ':no_entry: Rejected by <@UA2>.'],
    ['EXPIRED', { outcome: 'Nobody decided in time.' }, ':clock3: Expired: nobody decided in time.'],
    ['CANCELLED', { outcome: 'The approval message could not be posted.' }, ':heavy_multiplication_x: Cancelled. The approval message could not be posted.'],
  ];

  it.each(decided)('rewrites a %s request without buttons and says what happened', (status, over, line) => {
    const r = request({ ...over, status } as Partial<ChangeRequest>);
    expect(statusLine(r, ws())).toBe(line);
    expect(approvalRequestBlocks(r, ws())).toEqual([header, reasonBlock, context(line)]);
  });
});

describe('statusLine fallbacks', () => {
  it('says so when an outcome is missing', () => {
    const approvals = [{ by: 'UA1', at: DECIDED }];
    expect(statusLine(request({ status: 'APPLIED', approvals }), ws())).toBe(':white_check_mark: Approved by <@UA1>. Applied: done');
    expect(statusLine(request({ status: 'FAILED', approvals }), ws())).toBe(':x: Approved by <@UA1>, but it could not be applied: unknown reason');
    expect(statusLine(request({ status: 'CANCELLED' }), ws())).toBe(':heavy_multiplication_x: Cancelled.');
  });
});

describe('describeRequest', () => {
  it('says what each kind of request asks for', () => {
    expect(describeRequest({ kind: 'permission.role', params: { email: 'a@b.c', role: 'VIEWER' } })).toBe('Change the role of a@b.c to VIEWER');
    expect(describeRequest({ kind: 'permission.archive', params: { email: 'a@b.c' } })).toBe('Archive a@b.c');
    expect(describeRequest({ kind: 'permission.activate', params: { email: 'a@b.c' } })).toBe('Activate a@b.c (from ARCHIVED)');
    expect(describeRequest({ kind: 'permission.invite', params: { email: 'a@b.c', role: 'MEMBER' } })).toBe('Invite a@b.c as MEMBER');
  });
});

describe('shortId', () => {
  it('is the first eight characters of the request id', () => {
    expect(shortId(ID)).toBe('3f2b8c1e');
  });
});

describe('time-bound grants on the approval message', () => {
  const grant = request({ params: { email: 'john.doe@meshlab.de', role: 'ADMIN', minutes: 240 } });

  it('says for how long while pending, counted from when it is applied', () => {
    expect(describeRequest(grant)).toBe('Grant john.doe@meshlab.de the role ADMIN for 4 hours from when it is applied, then back to the role they had');
    expect(describeRequest({ kind: 'techuser.extend', params: { userName: 'ci_bot', grantId: ID, minutes: 1440, grantRole: 'ADMIN' } })).toBe(
      'Extend the grant of technical user ci<!date^00000000^{_}|_>bot by 1 day past its current end',
    );
  });

  it('shows the end in the outcome as a Slack date, so each reader sees their own time zone', () => {
    const applied = { ...grant, status: 'APPLIED' as const, approvals: [{ by: 'UA1', at: DECIDED }], outcome: 'john.doe@meshlab.de has the role ADMIN for 4h, until 2030-01-01 15:00 UTC; then MEMBER again.' };
    expect(statusLine(applied, ws())).toBe(
      ':white_check_mark: Approved by <@UA1>. Applied: john.doe@meshlab.de has the role ADMIN for 4h, until <!date^1893510000^{date_short_pretty} {time}|2030-01-01 15:00 UTC>; then MEMBER again.',
    );
  });
});

describe('utcDatesAsSlack', () => {
  it('turns only our own "YYYY-MM-DD HH:MM UTC" moments into date tokens, and leaves impossible ones as they are', () => {
    expect(utcDatesAsSlack('ends 2030-01-01 15:00 UTC.')).toBe('ends <!date^1893510000^{date_short_pretty} {time}|2030-01-01 15:00 UTC>.');
    expect(utcDatesAsSlack('2030-01-01 15:00 CET, 2030-01-01T15:00Z, 2030-13-45 99:99 UTC')).toBe('2030-01-01 15:00 CET, 2030-01-01T15:00Z, 2030-13-45 99:99 UTC');
  });
});

describe('grantsListText', () => {
  const ws1 = ws();
  const view = (i: number, label = `u${i}@x.de`) => ({
    subject: { type: 'permission' as const, id: `p-${i}`, label },
    grant: { requestId: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`, requester: 'UADMIN', role: 'ADMIN' as const, revertTo: 'MEMBER' as const, grantedAt: CREATED, until: new Date(CREATED.getTime() + 3 * 3600_000) },
  });

  it('says when there are none, and lists at most 100 with a note that there are more', () => {
    expect(grantsListText(ws1, [], CREATED)).toBe('No active grants in meshlab.');
    const text = grantsListText(ws1, Array.from({ length: 101 }, (_, i) => view(i)), CREATED);
    expect(text.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(100);
    expect(text).toContain('u99@x.de');
    expect(text).not.toContain('u100@x.de');
    expect(text.endsWith('…and more: these are the 100 ending soonest.')).toBe(true);
    expect(text).toContain('• u0@x.de: ADMIN until <!date^1893502800^{date_short_pretty} {time}|2030-01-01T13:00:00.000Z> (3 hours left), then MEMBER; asked by <@UADMIN>, request 00000000');
  });

  it('stays within Slack\'s 40,000 characters however long the escaped labels are', () => {
    const long = Array.from({ length: 100 }, (_, i) => view(i, `${'_'.repeat(200)}${i}@x.de`));
    expect(grantsListText(ws1, long, CREATED).length).toBeLessThanOrEqual(39_000);
  });
});
