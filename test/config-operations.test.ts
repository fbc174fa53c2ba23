/** The operations settings: LOG_FORMAT, Bull Board's credentials and METRICS_TOKEN. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { TEST_KEYWARDEN_SECRET } from './helpers/secret.js';

const BASE = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signing-secret-123', KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET };
const refusal = (env: Record<string, string>) => {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('operations settings', () => {
  it('logs JSON by default; LOG_FORMAT=pretty for development', () => {
    expect(loadConfig(BASE).LOG_FORMAT).toBe('json');
    expect(loadConfig({ ...BASE, LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(refusal({ LOG_FORMAT: 'colourful' })).toMatch(/^Invalid configuration: LOG_FORMAT /);
  });

  it('leaves Bull Board off unless both credentials are set', () => {
    const off = loadConfig(BASE);
    expect(off.BULL_BOARD_USERNAME).toBeUndefined();
    expect(off.BULL_BOARD_PASSWORD).toBeUndefined();
    expect(loadConfig({ ...BASE, BULL_BOARD_USERNAME: 'ops', BULL_BOARD_PASSWORD: 'correct-horse-battery' })).toMatchObject({
      BULL_BOARD_USERNAME: 'ops', BULL_BOARD_PASSWORD: 'correct-horse-battery',
    });
    expect(refusal({ BULL_BOARD_USERNAME: 'ops' })).toBe('Invalid configuration: BULL_BOARD_PASSWORD is required when BULL_BOARD_USERNAME is set (set neither to turn Bull Board off)');
    expect(refusal({ BULL_BOARD_PASSWORD: 'correct-horse-battery' })).toBe('Invalid configuration: BULL_BOARD_USERNAME is required when BULL_BOARD_PASSWORD is set (set neither to turn Bull Board off)');
  });

  it('refuses a short password and a username Basic auth cannot carry, without echoing them', () => {
    const short = refusal({ BULL_BOARD_USERNAME: 'ops', BULL_BOARD_PASSWORD: 's3cr3t' });
    expect(short).toBe('Invalid configuration: BULL_BOARD_PASSWORD must be at least 12 characters');
    expect(refusal({ BULL_BOARD_USERNAME: 'op:s', BULL_BOARD_PASSWORD: 'correct-horse-battery' })).toMatch(/^Invalid configuration: BULL_BOARD_USERNAME must be/);
  });

  it('leaves /metrics open unless METRICS_TOKEN is set; refuses a short or spaced one without echoing it', () => {
    expect(loadConfig(BASE).METRICS_TOKEN).toBeUndefined();
    expect(loadConfig({ ...BASE, METRICS_TOKEN: 'a1b2c3d4e5f6a7b8c9d0' }).METRICS_TOKEN).toBe('a1b2c3d4e5f6a7b8c9d0');
    const short = refusal({ METRICS_TOKEN: 'tooshort' });
    expect(short).toBe('Invalid configuration: METRICS_TOKEN must be 16-256 visible characters without spaces (openssl rand -hex 32)');
    expect(refusal({ METRICS_TOKEN: 'has a space in it, long enough' })).not.toContain('has a space');
  });
});
