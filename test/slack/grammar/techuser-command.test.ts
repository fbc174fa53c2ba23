import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRole } from '../../../src/domain/permission.js';
import { parseTechuserCommand } from '../../../src/slack/grammar/techuser-command.js';
import { isUsageError } from '../../../src/slack/grammar/words.js';
import { size } from '../../reliability/figures.js';

const req = (kind: string, params: object, reason: string | null = null) => ({ action: 'request', request: { kind, params }, reason });

function errorOf(text: string): string {
  const res = parseTechuserCommand(text);
  if (!isUsageError(res)) throw new Error(`expected a usage error for ${JSON.stringify(text)}, got ${JSON.stringify(res)}`);
  return res.error;
}

describe('parseTechuserCommand: time-bound grants', () => {
  it('parses `role ... for <duration>`, and grants', () => {
    expect(parseTechuserCommand('role ci-bot admin for 90m deploy')).toEqual(req('techuser.role', { userName: 'ci-bot', role: 'ADMIN', minutes: 90 }, 'deploy'));
    expect(parseTechuserCommand('grants')).toEqual({ action: 'grants' });
  });

  it.each([
    ['role ci-bot ADMIN for', /`for` needs a duration/],
    ['role ci-bot ADMIN for 3y', /"3y" is not a duration/],
    ['role ci-bot ADMIN for 0m', /"0m" is not a duration/],
    ['rotate ci-bot for 2h', /`\/techuser rotate` takes no duration/],
    ['delete ci-bot for 1d', /`\/techuser delete` takes no duration/],
    ['expiry ci-bot 2031-01-01 for 4h', /`\/techuser expiry` takes no duration/],
    ['create ci-bot MEMBER 2031-01-01 for 4h', /`\/techuser create` takes no duration/],
  ])('%j', (text, want) => {
    expect(errorOf(text)).toMatch(want);
  });
});

describe('parseTechuserCommand: commands', () => {
  it.each(['', '  ', 'help', 'HELP'])('%j is help', (text) => {
    expect(parseTechuserCommand(text)).toEqual({ action: 'help' });
  });

  it('parses list and history', () => {
    expect(parseTechuserCommand('list')).toEqual({ action: 'list' });
    expect(parseTechuserCommand('history ci-bot')).toEqual({ action: 'history', userName: 'ci-bot' });
  });

  it('parses create with a description, roles and aces anywhere after the date', () => {
    expect(parseTechuserCommand('create ci-bot member 2031-01-31 Nightly roles:a,b import aces:emea')).toEqual(
      req('techuser.create', {
        userName: 'ci-bot', role: 'MEMBER', expiry: '2031-01-31', description: 'Nightly import', customerRoles: ['a', 'b'], accessControlEntities: ['emea'],
      }),
    );
  });

  it('parses rotate, delete, expiry and role with reasons', () => {
    expect(parseTechuserCommand('rotate ci-bot leaked')).toEqual(req('techuser.rotate', { userName: 'ci-bot' }, 'leaked'));
    expect(parseTechuserCommand('delete ci-bot')).toEqual(req('techuser.delete', { userName: 'ci-bot' }));
    expect(parseTechuserCommand('expiry ci-bot 2031-02-01 Q1')).toEqual(req('techuser.expiry', { userName: 'ci-bot', expiry: '2031-02-01' }, 'Q1'));
    expect(parseTechuserCommand('role ci-bot admin')).toEqual(req('techuser.role', { userName: 'ci-bot', role: 'ADMIN' }));
  });
});

describe('parseTechuserCommand: owner and update', () => {
  const req = (text: string) => {
    const c = parseTechuserCommand(text);
    if (isUsageError(c) || c.action !== 'request') throw new Error(JSON.stringify(c));
    return { ...c.request, reason: c.reason };
  };

  it('parses owner with an escaped mention, and a reason', () => {
    expect(req('owner ci-bot <@U0123ABC|jane> she runs it now')).toEqual({ kind: 'techuser.owner', params: { userName: 'ci-bot', owner: 'U0123ABC' }, reason: 'she runs it now' });
    expect(req('owner ci-bot <@W0123ABC>').params).toEqual({ userName: 'ci-bot', owner: 'W0123ABC' });
  });

  it('parses update: a quoted description over several words (straight or curly quotes), lists, clearing, a reason', () => {
    expect(req('update ci-bot description:"Nightly sync to HR" roles:a,b because HR asked')).toEqual({
      kind: 'techuser.update', params: { userName: 'ci-bot', description: 'Nightly sync to HR', customerRoles: ['a', 'b'] }, reason: 'because HR asked',
    });
    expect(req('update ci-bot description:\u201cSlack typed this\u201d').params).toEqual({ userName: 'ci-bot', description: 'Slack typed this' });
    expect(req('update ci-bot aces: description:one').params).toEqual({ userName: 'ci-bot', accessControlEntities: [], description: 'one' });
    expect(req('update ci-bot description:""').params).toEqual({ userName: 'ci-bot', description: '' });
  });

  it.each([
    ['owner ci-bot', /owner is missing/],
    ['owner ci-bot @jane', /mention the new owner with @/],
    ['owner ci-bot U0123ABC', /not a Slack user/],
    ['update ci-bot', /Say what to update/],
    ['update ci-bot just words', /Say what to update/],
    ['update ci-bot description:"never closed', /no closing quote/],
    ['update ci-bot roles:a roles:b', /once/],
  ])('%j', (text, want) => {
    const c = parseTechuserCommand(text);
    expect(isUsageError(c) ? c.error : c).toMatch(want);
  });
});

describe('parseTechuserCommand: usage errors', () => {
  it.each([
    ['create', /username is missing/],
    ['create ci-bot', /role is missing/],
    ['create ci-bot OWNER 2031-01-01', /"OWNER" is not a role/],
    ['create ci-bot MEMBER', /expiry date is missing/],
    ['create ci-bot MEMBER 31.12.2031', /"31.12.2031" is not a date/],
    // Fullwidth digits look like a date and are not one.
    ['create ci-bot MEMBER ２０３１-０１-０１', /is not a date/],
    ['expiry ci-bot', /expiry date is missing/],
    ['role ci-bot', /role is missing/],
    ['rotate', /username is missing/],
    ['history', /username is missing/],
    ['frob', /"frob" is not a \/techuser command/],
    ['rotate ci-bot\u0000', /control or invisible characters/],
    ['rotate ci\u200b-bot', /control or invisible characters/],
    ['delete ci-bot \u202egnp.exe', /control or invisible characters/],
    [`create ci-bot MEMBER 2031-01-01 ${'x'.repeat(2000)}`, /too long/],
  ])('%j', (text, want) => {
    expect(errorOf(text)).toMatch(want);
  });
});

describe('parseTechuserCommand: any text', () => {
  const word = fc.oneof(
    fc.constantFrom('create', 'rotate', 'expiry', 'role', 'delete', 'history', 'list', 'help', 'ADMIN', 'member', '2031-01-31', '2031-02-30',
      'roles:', 'roles:a,,b', 'aces:x', 'workspace:', 'owner', 'update', '<@U0123ABC|jane>', '<@U0123ABC>', '@jane',
      'description:"two', 'words"', 'description:x', 'description:\u201cq', 'e\u201d', 'workspace:meshlab', 'ci-bot', 'сi-bot', '{"$gt":""}', '$where', '__proto__', 'constructor'),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );
  const text = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(word, { maxLength: 10 }).chain((ws) => fc.constantFrom(' ', '\t', '\n').map((sep) => ws.join(sep))),
  );

  it('returns a command or a usage error, never throws; what it lets through has the right shape', () => {
    fc.assert(
      fc.property(text, (t) => {
        const res = parseTechuserCommand(t);
        if (isUsageError(res)) {
          expect(res.error.length).toBeGreaterThan(0);
          expect(res.error.length).toBeLessThan(300);
          return;
        }
        expect(['help', 'list', 'grants', 'history', 'request']).toContain(res.action);
        if (res.action === 'history') expect(res.userName).toMatch(/^\S+$/);
        if (res.action !== 'request') return;
        const p = res.request.params as Record<string, unknown>;
        expect(res.request.kind).toMatch(/^techuser\.(create|rotate|expiry|role|delete|owner|update)$/);
        if (res.request.kind === 'techuser.owner') expect(p.owner).toMatch(/^[UW][A-Z0-9]+$/);
        expect(p.userName).toMatch(/^\S+$/);
        if ('role' in p) expect(isRole(p.role as string)).toBe(true);
        if ('expiry' in p) expect(p.expiry).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        if (res.reason !== null) expect(res.reason.length).toBeLessThanOrEqual(500);
        if (res.request.kind === 'techuser.create') {
          expect((p.description as string).length).toBeLessThanOrEqual(500);
          for (const l of [...(p.customerRoles as string[]), ...(p.accessControlEntities as string[])]) expect(l).not.toBe('');
        }
        // Nothing the grammar passes on carries a control or invisible character.
        const strings: string[] = [];
        JSON.stringify(res, (_k, v: unknown) => (typeof v === 'string' && strings.push(v), v));
        for (const s of strings) expect(s).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/);
      }),
      { numRuns: size(2000, 20_000) },
    );
  });
});
