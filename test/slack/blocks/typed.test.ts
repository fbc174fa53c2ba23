import { describe, expect, it } from 'vitest';
import type { NewRequest } from '../../../src/domain/request.js';
import { describeRequest } from '../../../src/slack/blocks/request.js';
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
