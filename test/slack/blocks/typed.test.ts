import { describe, expect, it } from 'vitest';
import type { NewRequest } from '../../../src/domain/request.js';
import type { ChangeRequest } from '../../../src/domain/request.js';
import { DEFAULT_POLICY, type Workspace } from '../../../src/domain/workspace.js';
import { approvalRequestBlocks, describeRequest } from '../../../src/slack/blocks/request.js';
import { plainWithMentions, typed } from '../../../src/slack/blocks/typed.js';
import { renderMrkdwn } from '../../helpers/mrkdwn.js';

/** What people have typed to turn a message against its readers. */
const PROBES = ['<!channel>', '<https://x|y>', '*bold*', '&lt;', '_it_ ~gone~ `code`', 'a & b > c'];

describe('renderMrkdwn (the test\'s stand-in for Slack)', () => {
  it('sees the markup in raw text, so the tests below can fail', () => {
    expect(renderMrkdwn('<!channel> <https://x|y> *bold* &lt;')).toEqual({ shown: '@channel y bold <', live: ['<!channel>', '<https://x|y>', '*bold*'] });
    expect(renderMrkdwn('Approved by <@U1> at <!date^1^{date_short}|then>').live).toEqual(['<@U1>', '<!date^1^{date_short}|then>']);
  });
});

describe('typed', () => {
  it.each(PROBES)('shows %s as typed, with no live markup', (p) => {
    expect(renderMrkdwn(typed(p))).toEqual({ shown: p, live: [] });
    expect(renderMrkdwn(`*Title* ${typed(p)} more`)).toEqual({ shown: `Title ${p} more`, live: ['*Title*'] });
  });

  it('keeps typed text on one line, so it cannot add a line that looks like ours', () => {
    expect(renderMrkdwn(typed('ok\n:white_check_mark: Approved by boss\r\n')).shown).toBe('ok :white_check_mark: Approved by boss ');
  });

  it('plainWithMentions escapes a plain message but keeps our own mentions', () => {
    const r = renderMrkdwn(plainWithMentions('"<!here>" is *not* a name (decided by <@UADMIN1>).'));
    expect(r).toEqual({ shown: '"<!here>" is *not* a name (decided by @UADMIN1).', live: ['<@UADMIN1>'] });
  });
});

describe('describeRequest', () => {
  it('escapes every typed value of every kind of request', () => {
    for (const p of PROBES) {
      const requests: NewRequest[] = [
        { kind: 'techuser.create', params: { userName: p, role: 'MEMBER', expiry: p, description: p, customerRoles: [p], accessControlEntities: [p] } },
        { kind: 'permission.role', params: { email: p, role: 'VIEWER' } },
        { kind: 'permission.invite', params: { email: p, role: 'VIEWER' } },
        { kind: 'permission.archive', params: { email: p } },
        { kind: 'permission.activate', params: { email: p } },
        { kind: 'techuser.rotate', params: { userName: p } },
        { kind: 'techuser.expiry', params: { userName: p, expiry: p } },
        { kind: 'techuser.role', params: { userName: p, role: 'ADMIN' } },
        { kind: 'techuser.delete', params: { userName: p } },
      ] as NewRequest[];
      for (const r of requests) {
        const shown = renderMrkdwn(describeRequest(r));
        expect(shown.live, `${r.kind} with ${p}`).toEqual([]);
        expect(shown.shown).toContain(p);
      }
    }
  });
});

describe('clipMrkdwn and the approval message', () => {
  it('keeps a 500-character description of formatting characters within Slack\'s 3000 characters, without half a token', () => {
    const description = '*_'.repeat(250);
    const r = {
      id: '3f2b8c1e-7a4d-4e5f-9b6a-0c1d2e3f4a5b', workspaceId: 'ws-1', kind: 'techuser.create', requester: 'UADMIN', reason: '~'.repeat(500),
      params: { userName: 'ci-bot', role: 'MEMBER', expiry: '2030-01-01', description, customerRoles: [], accessControlEntities: [] },
      status: 'REJECTED', outcome: '`'.repeat(500), approvals: [], decidedBy: 'UA1', decidedAt: null, createdAt: new Date(0), expiresAt: new Date(0),
      slack: null, appliedAt: null, notifiedAt: null, version: 0,
    } as unknown as ChangeRequest;
    const ws = { id: 'ws-1', name: 'meshlab', slack: { teamId: 'T1', approvalsChannel: 'C1', notificationChannels: [] }, admins: [], approvers: [], policy: DEFAULT_POLICY } as Workspace;
    const texts = approvalRequestBlocks(r, ws).flatMap((b: any) => [b.text?.text, ...(b.elements ?? []).map((e: any) => e.text?.text ?? e.text)]).filter((s) => typeof s === 'string');
    expect(texts.length).toBe(3);
    for (const s of texts) {
      expect(s.length).toBeLessThanOrEqual(3000);
      expect(renderMrkdwn(s).live.filter((m) => !m.startsWith('<@') && !m.startsWith('*Create') && m !== '*meshlab*')).toEqual([]);
      expect(s).not.toMatch(/<[^>]*…|&[a-z]*…/);
    }
  });
});
