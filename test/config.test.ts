import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { OTHER_KEYWARDEN_SECRET, TEST_KEYWARDEN_SECRET } from './helpers/secret.js';

/** The smallest valid environment: a bot token, a signing secret and a 32-byte secret. */
const BASE = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signing-secret-123', KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET };

/** The ConfigError message for `env`; fails the test when the environment was accepted. */
function refusal(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('fills in the defaults of DESIGN.md', () => {
    expect(loadConfig(BASE)).toEqual({
      ...BASE,
      PORT: 3000,
      SLACK_API_URL: 'https://slack.com/api/',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/keywarden',
      REDIS_URL: 'redis://127.0.0.1:6379',
      EXPIRY_SCAN_INTERVAL_SECONDS: 3600,
      TOKEN_REVEAL_TTL_HOURS: 24,
      TOKEN_EXCHANGE_PER_ADDRESS_PER_MINUTE: 120,
      TOKEN_EXCHANGE_PER_TOKEN_PER_MINUTE: 20,
      TRUSTED_PROXIES: 0,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ROLE: 'all',
    });
  });

  it('reads numbers and the documented alternatives', () => {
    const c = loadConfig({
      ...BASE, PORT: '8080', MONGODB_URI: 'mongodb+srv://u:p@cluster.example.net/kw', REDIS_URL: 'rediss://cache:6380',
      EXPIRY_SCAN_INTERVAL_SECONDS: '60', TOKEN_REVEAL_TTL_HOURS: '48', LOG_LEVEL: 'debug', ROLE: 'worker', SEED_FILE: '/etc/kw/seed.json',
    });
    expect(c).toMatchObject({
      PORT: 8080, MONGODB_URI: 'mongodb+srv://u:p@cluster.example.net/kw', REDIS_URL: 'rediss://cache:6380',
      EXPIRY_SCAN_INTERVAL_SECONDS: 60, TOKEN_REVEAL_TTL_HOURS: 48, LOG_LEVEL: 'debug', ROLE: 'worker', SEED_FILE: '/etc/kw/seed.json',
    });
  });

  it('accepts MONGODB_URI=memory with ROLE=all', () => {
    expect(loadConfig({ ...BASE, MONGODB_URI: 'memory' })).toMatchObject({ MONGODB_URI: 'memory', ROLE: 'all' });
  });

  it('does not need a signing secret in Socket Mode', () => {
    const { SLACK_SIGNING_SECRET: _, ...rest } = BASE;
    expect(loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1-A1-abc' })).toMatchObject({ SLACK_APP_TOKEN: 'xapp-1-A1-abc' });
  });

  describe('the installable mode (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET)', () => {
    const { SLACK_BOT_TOKEN: _, ...noToken } = BASE;
    const OAUTH = { SLACK_CLIENT_ID: '1234567890.0987654321', SLACK_CLIENT_SECRET: '0123456789abcdef0123456789abcdef', SLACK_STATE_SECRET: OTHER_KEYWARDEN_SECRET };

    it('takes all three instead of a bot token', () => {
      const c = loadConfig({ ...noToken, ...OAUTH });
      expect(c).toMatchObject({ SLACK_CLIENT_ID: OAUTH.SLACK_CLIENT_ID, SLACK_CLIENT_SECRET: OAUTH.SLACK_CLIENT_SECRET });
      expect(c.SLACK_BOT_TOKEN).toBeUndefined();
    });

    it.each([
      ['only the client id', { SLACK_CLIENT_ID: OAUTH.SLACK_CLIENT_ID }, 'Invalid configuration: SLACK_CLIENT_SECRET is required with the other OAuth settings'],
      ['no state secret', { SLACK_CLIENT_ID: OAUTH.SLACK_CLIENT_ID, SLACK_CLIENT_SECRET: OAUTH.SLACK_CLIENT_SECRET }, 'Invalid configuration: SLACK_STATE_SECRET is required with the other OAuth settings'],
      ['a guessable state secret', { ...OAUTH, SLACK_STATE_SECRET: 'a'.repeat(40) }, 'Invalid configuration: SLACK_STATE_SECRET is too easy to guess'],
      ['a client id that is not one', { ...OAUTH, SLACK_CLIENT_ID: 'my-app' }, 'Invalid configuration: SLACK_CLIENT_ID must be the Client ID from the Slack app page'],
      ['a bot token as well', { ...OAUTH, SLACK_BOT_TOKEN: 'xoxb-1-2-abc' }, 'Invalid configuration: SLACK_BOT_TOKEN must not be set with SLACK_CLIENT_ID'],
    ])('refuses %s in one line', (_case, env, message) => {
      expect(() => loadConfig({ ...noToken, ...env })).toThrow(message);
    });

    it('never echoes the client or state secret', () => {
      expect(refusal({ ...noToken, ...OAUTH, SLACK_CLIENT_SECRET: 'not-hex-s3cr3t' })).not.toContain('s3cr3t');
      expect(refusal({ ...noToken, ...OAUTH, SLACK_STATE_SECRET: 'short-s3cr3t' })).not.toContain('s3cr3t');
    });
  });

  it('ignores settings it does not know', () => {
    expect(loadConfig({ ...BASE, PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
  });

  it.each([
    ['a missing SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: undefined }, 'Invalid configuration: SLACK_BOT_TOKEN is required'],
    ['an empty SLACK_BOT_TOKEN (empty counts as unset)', { SLACK_BOT_TOKEN: '' }, 'Invalid configuration: SLACK_BOT_TOKEN is required'],
    ['an app token as bot token', { SLACK_BOT_TOKEN: 'xapp-1-abc' }, 'Invalid configuration: SLACK_BOT_TOKEN must be a bot token starting with xoxb-'],
    ['a missing KEYWARDEN_SECRET', { KEYWARDEN_SECRET: undefined }, 'Invalid configuration: KEYWARDEN_SECRET is required'],
    ['an empty KEYWARDEN_SECRET', { KEYWARDEN_SECRET: '' }, 'Invalid configuration: KEYWARDEN_SECRET is required'],
    ['a 31-byte KEYWARDEN_SECRET', { KEYWARDEN_SECRET: 'k'.repeat(31) }, 'Invalid configuration: KEYWARDEN_SECRET must be at least 32 bytes of random text'],
    ['KEYWARDEN_SECRET=32 times a', { KEYWARDEN_SECRET: 'a'.repeat(32) }, 'Invalid configuration: KEYWARDEN_SECRET is too easy to guess (1 distinct characters'],
    ['a KEYWARDEN_SECRET that is an alphabet', { KEYWARDEN_SECRET: 'abcdefghijklmnopqrstuvwxyz0123456789' }, 'Invalid configuration: KEYWARDEN_SECRET is too easy to guess'],
    ['a KEYWARDEN_SECRET of a repeated word', { KEYWARDEN_SECRET: 'password1234password1234password1234' }, 'Invalid configuration: KEYWARDEN_SECRET is too easy to guess'],
    ['a KEYWARDEN_SECRET of 128 random bits in hex (too few characters to show it)', { KEYWARDEN_SECRET: '3f9a0c17be4d52e8a6c1907df23b5e48' }, 'Invalid configuration: KEYWARDEN_SECRET is too easy to guess'],
    ['an http REDIS_URL', { REDIS_URL: 'http://127.0.0.1:6379' }, 'Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL'],
    ['a bare host as REDIS_URL', { REDIS_URL: '127.0.0.1:6379' }, 'Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL'],
    ['a postgres MONGODB_URI', { MONGODB_URI: 'postgres://db/kw' }, 'Invalid configuration: MONGODB_URI must be a mongodb:// URI or the word memory'],
    ['MONGODB_URI=Memory (case matters)', { MONGODB_URI: 'Memory' }, 'Invalid configuration: MONGODB_URI must be a mongodb:// URI or the word memory'],
    ['ROLE=web on the in-memory store', { MONGODB_URI: 'memory', ROLE: 'web' }, 'Invalid configuration: ROLE must be all when MONGODB_URI=memory'],
    ['ROLE=worker on the in-memory store', { MONGODB_URI: 'memory', ROLE: 'worker' }, 'Invalid configuration: ROLE must be all when MONGODB_URI=memory'],
    ['no signing secret and no app token', { SLACK_SIGNING_SECRET: undefined }, 'Invalid configuration: SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN selects Socket Mode'],
    ['an empty signing secret and an empty app token', { SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: '' }, 'Invalid configuration: SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN'],
    ['a bot token as SLACK_APP_TOKEN', { SLACK_APP_TOKEN: 'xoxb-1' }, 'Invalid configuration: SLACK_APP_TOKEN must be an app-level token'],
    ['a non-numeric PORT', { PORT: 'http' }, 'Invalid configuration: PORT '],
    ['a PORT out of range', { PORT: '70000' }, 'Invalid configuration: PORT '],
    ['a fractional PORT', { PORT: '3000.5' }, 'Invalid configuration: PORT '],
    ['a scan interval under 10 seconds', { EXPIRY_SCAN_INTERVAL_SECONDS: '5' }, 'Invalid configuration: EXPIRY_SCAN_INTERVAL_SECONDS '],
    ['more than 10 trusted proxies', { TRUSTED_PROXIES: '11' }, 'Invalid configuration: TRUSTED_PROXIES '],
    ['TRUSTED_PROXIES=yes', { TRUSTED_PROXIES: 'yes' }, 'Invalid configuration: TRUSTED_PROXIES '],
    ['a reveal TTL of zero hours', { TOKEN_REVEAL_TTL_HOURS: '0' }, 'Invalid configuration: TOKEN_REVEAL_TTL_HOURS '],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'Invalid configuration: LOG_LEVEL '],
    ['an unknown ROLE', { ROLE: 'boss' }, 'Invalid configuration: ROLE '],
    ['a SLACK_API_URL that is not a URL', { SLACK_API_URL: 'slack api' }, 'Invalid configuration: SLACK_API_URL '],
  ])('refuses %s with one line naming it', (_why, over, start) => {
    const msg = refusal({ ...BASE, ...over });
    expect(msg.startsWith(start)).toBe(true);
    expect(msg).not.toMatch(/[\r\n]/);
  });

  it('says in the refusal of a weak secret how to make a good one', () => {
    expect(refusal({ ...BASE, KEYWARDEN_SECRET: 'k'.repeat(48) })).toMatch(/make one with `openssl rand -base64 48`$/);
    expect(refusal({ ...BASE, KEYWARDEN_SECRET: 'short' })).toMatch(/at least 32 bytes of random text; make one with `openssl rand -base64 48`$/);
  });

  it('refuses text that repeats itself or is made of words, however long (issue 20, finding 16)', () => {
    for (const weak of ['Summer2026!Pw#x'.repeat(3), 'keywarden-production-secret-2026', 'MyCompany-Keywarden-Secret-2026!', 'Xk9#mQ2$vL7!'.repeat(4)]) {
      expect(refusal({ ...BASE, KEYWARDEN_SECRET: weak }), weak).toMatch(/KEYWARDEN_SECRET is too easy to guess/);
    }
  });

  it('accepts what the README says to use and the usual random secrets, every time', () => {
    for (let i = 0; i < 500; i++) {
      for (const secret of [randomBytes(48).toString('base64'), randomBytes(32).toString('hex'), randomBytes(32).toString('base64url'), randomBytes(32).toString('base64')]) {
        expect(loadConfig({ ...BASE, KEYWARDEN_SECRET: secret }).KEYWARDEN_SECRET).toBe(secret);
      }
    }
  });

  it('does not echo a malformed secret back into the message', () => {
    expect(refusal({ ...BASE, SLACK_BOT_TOKEN: 'not-a-token-s3cr3t' })).not.toContain('s3cr3t');
    expect(refusal({ ...BASE, KEYWARDEN_SECRET: 'short-s3cr3t' })).not.toContain('s3cr3t');
  });

  it('treats empty strings as unset, so defaults apply', () => {
    const c = loadConfig({ ...BASE, PORT: '', REDIS_URL: '', MONGODB_URI: '', LOG_LEVEL: '', ROLE: '', SEED_FILE: '', SLACK_APP_TOKEN: '' });
    expect(c).toMatchObject({ PORT: 3000, REDIS_URL: 'redis://127.0.0.1:6379', MONGODB_URI: 'mongodb://127.0.0.1:27017/keywarden', LOG_LEVEL: 'info', ROLE: 'all' });
    expect(c.SEED_FILE).toBeUndefined();
    expect(c.SLACK_APP_TOKEN).toBeUndefined();
  });

  it('names the first of several malformed settings, still on one line', () => {
    const msg = refusal({ KEYWARDEN_SECRET: 'short', REDIS_URL: 'http://x' });
    expect(msg).toMatch(/^Invalid configuration: [A-Z_]+ [^\n]+$/);
  });
});
