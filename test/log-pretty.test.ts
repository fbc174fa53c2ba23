import { describe, expect, it } from 'vitest';
import { generateApiToken } from '../src/domain/api-token.js';
import { prettyDestination } from '../src/log-pretty.js';
import { createLog } from '../src/log.js';
import { LogCapture } from './helpers/keywarden.js';

describe('LOG_FORMAT=pretty', () => {
  it('prints readable lines rather than JSON', () => {
    const out = new LogCapture();
    createLog('info', prettyDestination(out)).info({ requestId: 'r-1' }, 'request applied');
    expect(out.text).toMatch(/INFO.*request applied/);
    expect(out.text).toContain('requestId: "r-1"');
    expect(() => JSON.parse(out.text)).toThrow();
  });

  it('is scrubbed and redacted exactly like JSON logs', () => {
    const { token } = generateApiToken();
    const out = new LogCapture();
    const log = createLog('debug', prettyDestination(out));
    log.info({ token, nested: { authorization: 'Bearer x' } }, `revealed ${token} with xoxb-1234-abcdef`);
    log.error({ err: new Error(`failed with ${token}`) }, 'boom');
    expect(out.text).not.toContain(token);
    expect(out.text).not.toContain(token.slice(4, 20));
    expect(out.text).not.toContain('xoxb-1234-abcdef');
    expect(out.text).not.toContain('Bearer x');
    expect(out.text).toContain('lxt_[REDACTED]');
    expect(out.text).toContain('[REDACTED]');
  });
});
