import { describe, expect, it } from 'vitest';
import { generateApiToken } from '../src/domain/api-token.js';
import { createLog, scrub } from '../src/log.js';
import { LogCapture } from './helpers/keywarden.js';

/** A logger writing to a capture; pino writes synchronously to a plain stream. */
function capture(level = 'debug') {
  const out = new LogCapture();
  const log = createLog(level, out);
  const lines = () => out.lines.map((l) => JSON.parse(l) as Record<string, any>);
  return { log, out, lines };
}

describe('createLog', () => {
  it('writes one JSON line per call with the fields and the message', () => {
    const { log, lines } = capture();
    log.info({ requestId: 'r-1', count: 2 }, 'applied');
    expect(lines()).toEqual([expect.objectContaining({ level: 30, requestId: 'r-1', count: 2, msg: 'applied' })]);
  });

  it('honours the level', () => {
    const { log, out } = capture('warn');
    log.info({}, 'quiet');
    log.debug({}, 'quieter');
    log.warn({}, 'loud');
    expect(out.lines).toHaveLength(1);
    expect(out.text).toContain('loud');
  });

  it('masks an API token in the message', () => {
    const { token } = generateApiToken();
    const { log, out, lines } = capture();
    log.info({}, `revealed ${token} to U1`);
    expect(out.text).not.toContain(token);
    expect(out.text).not.toContain(token.slice(4, 20));
    expect(lines()[0]!.msg).toBe('revealed lxt_[REDACTED] to U1');
  });

  it('masks an API token nested deep in a field, in arrays too', () => {
    const { token } = generateApiToken();
    const { log, out } = capture();
    log.info({ job: { data: { note: `use ${token}` } }, list: [{ x: token }] }, 'nested');
    expect(out.text).not.toContain(token.slice(4));
    expect(out.text).toContain('lxt_[REDACTED]');
  });

  it('masks an API token in an Error message and its stack', () => {
    const { token } = generateApiToken();
    const { log, out, lines } = capture();
    log.error({ err: new Error(`token ${token} refused`) }, 'exchange failed');
    log.error({ cause: new TypeError(`bad ${token}`) }, 'other');
    expect(out.text).not.toContain(token.slice(4));
    expect(lines()[0]!.err.message).toBe('token lxt_[REDACTED] refused');
    expect(lines()[1]!.cause.message).toBe('bad lxt_[REDACTED]');
  });

  it('never writes fields named token or authorization, whatever they hold', () => {
    const { log, out, lines } = capture();
    log.info({ token: 'plain-secret-1' }, 'a');
    log.info({ authorization: 'Bearer plain-secret-2' }, 'b');
    log.info({ headers: { authorization: 'Basic plain-secret-3' } }, 'c');
    log.info({ technicalUser: { token: 'plain-secret-4', apiToken: 'plain-secret-5' } }, 'd');
    log.info({ password: 'plain-secret-6', secret: 'plain-secret-7', access_token: 'plain-secret-8' }, 'e');
    expect(out.text).not.toMatch(/plain-secret/);
    expect(lines()[0]!.token).toBe('[REDACTED]');
    expect(lines()[2]!.headers.authorization).toBe('[REDACTED]');
  });

  it('masks Slack tokens and JWTs wherever they appear', () => {
    const { log, out } = capture();
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0dSJ9.c2lnbmF0dXJlLXBhcnQ';
    log.warn({ note: 'xoxb-1234-5678-abcdef', app: 'xapp-1-A1-999' }, `bearer ${jwt}`);
    expect(out.text).not.toContain('1234-5678-abcdef');
    expect(out.text).not.toContain('A1-999');
    expect(out.text).not.toContain('c2lnbmF0dXJlLXBhcnQ');
  });

  it('redacts a token field of a child logger binding', () => {
    const { log, out } = capture();
    log.child({ token: 'plain-secret-child' }).info({}, 'child');
    expect(out.text).not.toContain('plain-secret-child');
  });

  it('leaves ordinary text, dates and non-token look-alikes alone', () => {
    const { log, lines } = capture();
    const at = new Date('2030-01-01T00:00:00.000Z');
    log.info({ at, word: 'lxt_short', email: 'john.doe@meshlab.de' }, 'lxt_ is the prefix');
    expect(lines()[0]).toMatchObject({ at: at.toISOString(), word: 'lxt_short', email: 'john.doe@meshlab.de', msg: 'lxt_ is the prefix' });
  });
});

describe('scrub', () => {
  it('keeps the first four characters and masks the rest of every token in a string', () => {
    const a = generateApiToken().token;
    const b = generateApiToken().token;
    expect(scrub(`${a},${b}`)).toBe('lxt_[REDACTED],lxt_[REDACTED]');
    expect(scrub('xoxp-1-2-3 ok')).toBe('xoxp[REDACTED] ok');
  });
});

describe('createLog: secrets that reach the logger by the side door', () => {
  it('masks a token in an Error passed as the only argument (pino takes msg from it)', () => {
    const { token } = generateApiToken();
    const { log, out } = capture();
    (log as any).error(new Error(`boom ${token}`));
    expect(out.text).not.toContain(token.slice(4));
  });

  it('masks a token held by a child binding under any name', () => {
    const { token } = generateApiToken();
    const { log, out } = capture();
    log.child({ t: token }).info({}, 'x');
    expect(out.text).not.toContain(token.slice(4));
  });

  it('redacts secret fields three levels down', () => {
    const { log, out } = capture();
    log.info({ job: { data: { token: 'plain-secret-3' } }, a: { b: { c: { secret: 'plain-secret-4' } } } }, 'deep');
    expect(out.text).not.toContain('plain-secret-3');
    expect(out.text).not.toContain('plain-secret-4');
  });

  it('redacts secret fields at any depth, in arrays, in an Error\'s own fields, and whatever their case', () => {
    const { log, out, lines } = capture();
    const err = Object.assign(new Error('request failed'), { config: { headers: { Authorization: 'Bearer plain-secret-5' } } });
    const fields = { a: { b: { c: { d: { e: { password: 'plain-secret-6' } } } } }, list: [{ sealed: 'plain-secret-7' }], err, nested: { why: err } };
    log.error(fields, 'deeper');
    expect(out.text).not.toMatch(/plain-secret/);
    expect(lines()[0]!.err).toMatchObject({ type: 'Error', message: 'request failed', config: { headers: { Authorization: '[REDACTED]' } } });
    expect(lines()[0]!.nested.why).toMatchObject({ type: 'Error', stack: expect.stringContaining('request failed') });
    // The caller's objects are left as they were.
    expect(fields.a.b.c.d.e.password).toBe('plain-secret-6');
    expect(err.config.headers.Authorization).toBe('Bearer plain-secret-5');
  });

  it('redacts the bindings of a grandchild logger too, and survives a cycle', () => {
    const { log, out } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    log.child({ job: 'x' }).child({ secret: 'plain-secret-8' }).info({ cyclic }, 'grandchild');
    expect(out.text).not.toContain('plain-secret-8');
    expect(out.text).toContain('grandchild');
  });

  it('keeps the type and code of a domain error', async () => {
    const { DomainError } = await import('../src/domain/errors.js');
    const { log, lines } = capture();
    log.error({ err: new DomainError('PERMISSION.UNCHANGED', 'nothing to change') }, 'refused');
    expect(lines()[0]!.err).toMatchObject({ type: 'DomainError', code: 'PERMISSION.UNCHANGED', message: 'nothing to change' });
  });
});
