import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRole } from '../../../src/domain/permission.js';
import { isEmail } from '../../../src/domain/user.js';
import { parsePermissionCommand } from '../../../src/slack/grammar/permission-command.js';
import { isUsageError } from '../../../src/slack/grammar/words.js';

const req = (kind: string, params: object, reason: string | null = null, workspace?: string) => ({
  ...(workspace === undefined ? {} : { workspace }), action: 'request', request: { kind, params }, reason,
});

/** The error text of a usage error; fails the test when the text parsed as a command. */
function errorOf(text: string): string {
  const res = parsePermissionCommand(text);
  if (!isUsageError(res)) throw new Error(`expected a usage error for ${JSON.stringify(text)}, got ${JSON.stringify(res)}`);
  return res.error;
}

describe('parsePermissionCommand: commands', () => {
  it.each(['', '   ', 'help', 'HELP', ' Help '])('%j is help', (text) => {
    expect(parsePermissionCommand(text)).toEqual({ action: 'help' });
  });

  it('lists, with a query, a status in any case, or both', () => {
    expect(parsePermissionCommand('list')).toEqual({ action: 'list', query: undefined });
    expect(parsePermissionCommand('list john doe')).toEqual({ action: 'list', query: 'john doe' });
    expect(parsePermissionCommand('list status:archived')).toEqual({ action: 'list', query: undefined, status: 'ARCHIVED' });
    expect(parsePermissionCommand('LIST Status:Invited john')).toEqual({ action: 'list', query: 'john', status: 'INVITED' });
  });

  it('parses role with a lower-case role and a reason', () => {
    expect(parsePermissionCommand('role john.doe@meshlab.de admin needs to manage the inventory')).toEqual(
      req('permission.role', { email: 'john.doe@meshlab.de', role: 'ADMIN' }, 'needs to manage the inventory'),
    );
  });

  it('parses invite, archive and activate, without a reason', () => {
    expect(parsePermissionCommand('invite new@meshlab.de Viewer')).toEqual(req('permission.invite', { email: 'new@meshlab.de', role: 'VIEWER' }));
    expect(parsePermissionCommand('archive a@b.c')).toEqual(req('permission.archive', { email: 'a@b.c' }));
    expect(parsePermissionCommand('activate a@b.c')).toEqual(req('permission.activate', { email: 'a@b.c' }));
  });

  it('takes sub-commands in any case', () => {
    expect(parsePermissionCommand('ARCHIVE a@b.c left')).toEqual(req('permission.archive', { email: 'a@b.c' }, 'left'));
    expect(parsePermissionCommand('Role a@b.c member')).toEqual(req('permission.role', { email: 'a@b.c', role: 'MEMBER' }));
  });

  it('unwraps the <mailto:...|...> Slack makes of a typed email, with or without the label', () => {
    expect(parsePermissionCommand('role <mailto:john.doe@meshlab.de|john.doe@meshlab.de> MEMBER')).toEqual(
      req('permission.role', { email: 'john.doe@meshlab.de', role: 'MEMBER' }),
    );
    expect(parsePermissionCommand('archive <mailto:a@b.c>')).toEqual(req('permission.archive', { email: 'a@b.c' }));
  });

  it('finds workspace:<name> anywhere, and leaves it out of the reason', () => {
    const want = req('permission.archive', { email: 'a@b.c' }, 'left the company', 'strict');
    expect(parsePermissionCommand('workspace:strict archive a@b.c left the company')).toEqual(want);
    expect(parsePermissionCommand('archive workspace:strict a@b.c left the company')).toEqual(want);
    expect(parsePermissionCommand('archive a@b.c left workspace:strict the company')).toEqual(want);
    expect(parsePermissionCommand('archive a@b.c left the company Workspace:strict')).toEqual(want);
    expect(parsePermissionCommand('workspace:meshlab')).toEqual({ workspace: 'meshlab', action: 'help' });
    expect(parsePermissionCommand('list workspace:meshlab status:ACTIVE')).toEqual({
      workspace: 'meshlab', action: 'list', query: undefined, status: 'ACTIVE',
    });
  });

  it('splits on tabs and newlines and joins the reason with single spaces', () => {
    expect(parsePermissionCommand('role\ta@b.c\nadmin   because\n\nreasons')).toEqual(
      req('permission.role', { email: 'a@b.c', role: 'ADMIN' }, 'because reasons'),
    );
  });

  it('caps a reason at 500 characters', () => {
    const res = parsePermissionCommand(`archive a@b.c ${'x'.repeat(600)}`);
    expect(res).toMatchObject({ action: 'request', reason: 'x'.repeat(500) });
  });
});

describe('parsePermissionCommand: time-bound grants', () => {
  it('parses `role ... for <duration>` in any unit and case, with and without a reason', () => {
    expect(parsePermissionCommand('role a@b.c ADMIN for 4h incident 42')).toEqual(req('permission.role', { email: 'a@b.c', role: 'ADMIN', minutes: 240 }, 'incident 42'));
    expect(parsePermissionCommand('role a@b.c viewer FOR 30M')).toEqual(req('permission.role', { email: 'a@b.c', role: 'VIEWER', minutes: 30 }));
    expect(parsePermissionCommand('role a@b.c admin for 2d')).toMatchObject({ request: { params: { minutes: 2880 } } });
    expect(parsePermissionCommand('role a@b.c admin for 1w workspace:meshlab')).toMatchObject({ workspace: 'meshlab', request: { params: { minutes: 10080 } } });
    // `for` later in the reason is just a word of it.
    expect(parsePermissionCommand('role a@b.c admin needed for 2h')).toEqual(req('permission.role', { email: 'a@b.c', role: 'ADMIN' }, 'needed for 2h'));
  });

  it('lists the active grants', () => {
    expect(parsePermissionCommand('grants')).toEqual({ action: 'grants' });
    expect(parsePermissionCommand('grants workspace:strict')).toEqual({ action: 'grants', workspace: 'strict' });
  });

  it.each([
    ['role a@b.c ADMIN for', /`for` needs a duration/],
    ['role a@b.c ADMIN for 4x', /"4x" is not a duration: use a whole number and a unit m, h, d or w/],
    ['role a@b.c ADMIN for 0h', /"0h" is not a duration/],
    ['role a@b.c ADMIN for -2h', /"-2h" is not a duration/],
    ['role a@b.c ADMIN for 2.5h', /"2.5h" is not a duration/],
    ['role a@b.c ADMIN for ever', /"ever" is not a duration/],
    ['role a@b.c ADMIN for <!channel>', /"&lt;!channel&gt;" is not a duration/],
    ['archive a@b.c for 2h', /`\/permission archive` takes no duration/],
    ['activate a@b.c for 0h', /`\/permission activate` takes no duration/],
    ['invite a@b.c MEMBER for 1w', /`\/permission invite` takes no duration/],
  ])('%j', (text, want) => {
    expect(errorOf(text)).toMatch(want);
  });

  it('keeps a reason that only starts with the word "for" on commands without a duration', () => {
    expect(parsePermissionCommand('archive a@b.c for the audit')).toEqual(req('permission.archive', { email: 'a@b.c' }, 'for the audit'));
  });
});

describe('parsePermissionCommand: usage errors', () => {
  it.each([
    ['role', /email address is missing/],
    ['role not-an-email ADMIN', /"not-an-email" is not an email address/],
    ['role a@b.c', /role is missing/],
    ['role a@b.c OWNER', /"OWNER" is not a role/],
    ['invite a@b.c', /role is missing/],
    ['invite a@b.c superuser', /"superuser" is not a role/],
    ['archive', /email address is missing/],
    ['archive john', /"john" is not an email address/],
    ['activate', /email address is missing/],
    ['activate <mailto:j\u043ehn@meshlab.de|john@meshlab.de>', /is not an email address/],
    ['list status:gone', /"status:gone" is not a status/],
    ['list status:', /is not a status/],
    ['frobnicate a@b.c', /"frobnicate" is not a \/permission command/],
    ['workspace: list', /`workspace:` needs a name/],
    ['workspace:a list workspace:b', /one workspace only/],
    ['role a@b.c\u0007 ADMIN', /control or invisible characters/],
    ['role a@b.c ADMIN \u202egnp.exe', /control or invisible characters/],
    ['archive a@b.c\u200b', /control or invisible characters/],
    ['archive a@b.c\u0000', /control or invisible characters/],
  ])('%j', (text, want) => {
    expect(errorOf(text)).toMatch(want);
  });

  it('refuses text over 2000 characters, and accepts 2000', () => {
    const at = (n: number) => `archive a@b.c ${'x'.repeat(n - 'archive a@b.c '.length)}`;
    expect(isUsageError(parsePermissionCommand(at(2000)))).toBe(false);
    expect(errorOf(at(2001))).toMatch(/too long/);
  });

  it('quotes an unknown word back escaped, then clipped to 160 characters', () => {
    const err = errorOf(`${'z'.repeat(400)} a@b.c`);
    expect(err).toContain(`"${'z'.repeat(159)}…"`);
    expect(err).not.toContain('z'.repeat(160));
    // 150 underscores escape to 3,600 characters: the echo stays 160 long, cut between tokens.
    expect(errorOf(`${'_'.repeat(150)} a@b.c`).length).toBeLessThan(300);
  });
});

describe('parsePermissionCommand: any text', () => {
  const word = fc.oneof(
    fc.constantFrom('role', 'invite', 'archive', 'activate', 'list', 'help', 'ADMIN', 'viewer', 'status:ACTIVE', 'status:x',
      'workspace:', 'workspace:meshlab', 'a@b.c', '<mailto:a@b.c|a@b.c>', '<mailto:', '|', '>', 'toString', '__proto__', 'constructor',
      'grants', 'for', 'FOR', '4h', '0h', '-2h', '30M', '99999999w', '2.5h'),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );
  const text = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(word, { maxLength: 8 }).chain((ws) => fc.constantFrom(' ', '\t', '\n', '  ').map((sep) => ws.join(sep))),
  );

  it('returns a command or a usage error, never throws, and only lets valid emails and roles through', () => {
    fc.assert(
      fc.property(text, (t) => {
        const res = parsePermissionCommand(t);
        if (isUsageError(res)) {
          expect(res.error).toEqual(expect.any(String));
          expect(res.error.length).toBeGreaterThan(0);
          return;
        }
        expect(['help', 'list', 'grants', 'request']).toContain(res.action);
        if (res.action === 'request') {
          const params = res.request.params as { email?: string; role?: string; minutes?: number };
          expect(res.request.kind).toMatch(/^permission\./);
          // A duration, where there is one, is a whole number of minutes, at least one.
          if (params.minutes !== undefined) expect(Number.isInteger(params.minutes) && params.minutes >= 1).toBe(true);
          expect(isEmail(params.email ?? '')).toBe(true);
          if (params.role !== undefined) expect(isRole(params.role)).toBe(true);
        }
        if (res.workspace !== undefined) expect(res.workspace).toMatch(/^\S+$/);
      }),
      { numRuns: 2000 },
    );
  });
});
