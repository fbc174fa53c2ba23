import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { slackTransport } from '../../src/slack/transport.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';

const BASE = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET };

describe('slackTransport', () => {
  it('SLACK_APP_TOKEN selects Socket Mode, with no signing secret needed', () => {
    expect(slackTransport(loadConfig({ ...BASE, SLACK_APP_TOKEN: 'xapp-1-A1-abc' }))).toEqual({ mode: 'socket', appToken: 'xapp-1-A1-abc' });
  });

  it('Socket Mode wins when both are set (the signing secret is then unused)', () => {
    expect(slackTransport(loadConfig({ ...BASE, SLACK_APP_TOKEN: 'xapp-1-A1-abc', SLACK_SIGNING_SECRET: 'signing-secret-123' })).mode).toBe('socket');
  });

  it('without an app token it is HTTP mode, verified with the signing secret', () => {
    expect(slackTransport(loadConfig({ ...BASE, SLACK_SIGNING_SECRET: 'signing-secret-123' }))).toEqual({ mode: 'http', signingSecret: 'signing-secret-123' });
  });

  it('with neither, the configuration is refused at start', () => {
    expect(() => loadConfig(BASE)).toThrow('Invalid configuration: SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN selects Socket Mode');
    expect(() => slackTransport({})).toThrow(/SLACK_SIGNING_SECRET is required/);
  });
});
