import { describe, expect, it } from 'vitest';
import { parsePermissionCommand } from '../../../src/slack/grammar/permission-command.js';
import { parseTechuserCommand } from '../../../src/slack/grammar/techuser-command.js';
import { isUsageError } from '../../../src/slack/grammar/words.js';

const errorOf = (res: unknown) => (isUsageError(res) ? res.error : `parsed: ${JSON.stringify(res)}`);

describe('the breakglass word', () => {
  it('reads `<ROLE> for <duration> breakglass <reason...>` on /permission role and /techuser role', () => {
    expect(parsePermissionCommand('role jane@meshlab.de admin for 1h BreakGlass incident 42: db locked')).toEqual({
      action: 'request', request: { kind: 'permission.role', params: { email: 'jane@meshlab.de', role: 'ADMIN', minutes: 60 } },
      reason: 'incident 42: db locked', breakGlass: true,
    });
    expect(parseTechuserCommand('role ci-bot ADMIN for 30m breakglass deploy hotfix now workspace:meshlab')).toEqual({
      workspace: 'meshlab', action: 'request', request: { kind: 'techuser.role', params: { userName: 'ci-bot', role: 'ADMIN', minutes: 30 } },
      reason: 'deploy hotfix now', breakGlass: true,
    });
    // Without a reason the words still parse; the policy refuses it with what would do.
    expect(parsePermissionCommand('role jane@meshlab.de ADMIN for 2h breakglass')).toMatchObject({ reason: null, breakGlass: true });
  });

  it('refuses break-glass without a time, and a time that is not one', () => {
    expect(errorOf(parsePermissionCommand('role jane@meshlab.de ADMIN breakglass the incident'))).toMatch(/^Break-glass is always for a time/);
    expect(errorOf(parseTechuserCommand('role ci-bot ADMIN breakglass the incident'))).toMatch(/^Break-glass is always for a time/);
    expect(errorOf(parsePermissionCommand('role jane@meshlab.de ADMIN for soon breakglass x'))).toMatch(/"soon" is not a duration/);
    expect(errorOf(parseTechuserCommand('role ci-bot ADMIN for 0m breakglass the incident'))).toMatch(/"0m" is not a duration/);
  });

  it('leaves everything else as it was: the word inside a reason; invites take no time at all', () => {
    expect(parsePermissionCommand('role jane@meshlab.de ADMIN no breakglass needed')).toEqual({
      action: 'request', request: { kind: 'permission.role', params: { email: 'jane@meshlab.de', role: 'ADMIN' } }, reason: 'no breakglass needed',
    });
    expect(errorOf(parsePermissionCommand('invite new@meshlab.de VIEWER for 1h breakglass x'))).toMatch(/takes no duration/);
  });
});
