/**
 * Proves the shared test helpers work: a private redis-server, the fake Slack
 * Web API (driven by a real @slack/web-api WebClient), and signed Slack
 * requests (accepted by a real Bolt App).
 */
import { createHmac } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { ErrorCode, WebClient, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.js';
import { RateLimiter } from './fake-slack-limits.js';
import { startRedis } from './redis.js';
import { blockActionBody, postSigned, sign, slashCommandBody } from './slack-requests.js';

describe('startRedis', () => {
  it('starts a private, working redis-server and stops it', async () => {
    const redis = await startRedis();
    try {
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(redis.url).not.toMatch(/:6379$/);

      const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
      expect(await client.ping()).toBe('PONG');
      await client.set('helpers:k', 'v');
      expect(await client.get('helpers:k')).toBe('v');
      await client.quit();
    } finally {
      await redis.stop();
      await redis.stop(); // idempotent
    }

    // After stop nothing listens on that port any more.
    const port = Number(new URL(redis.url).port);
    await expect(
      new Promise<void>((resolve, reject) => connect(port, '127.0.0.1', () => resolve()).once('error', reject)),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('FakeSlack', () => {
  let slack: FakeSlack;
  let client: WebClient;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    // retries: 0 so failures surface instead of being retried for ~30 minutes.
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  });
  afterAll(() => slack.stop());
  beforeEach(() => slack.reset());

  it('answers auth.test and records the bearer token', async () => {
    expect(slack.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: 'T1', user_id: 'UBOT', bot_id: 'BBOT' });
    expect(slack.calls).toEqual([{ method: 'auth.test', args: {}, token: 'xoxb-test', at: expect.any(Number), result: expect.objectContaining({ ok: true, team_id: 'T1' }) }]);
  });

  it('records chat.postMessage with blocks parsed back into objects, and rewrites user ids to DMs', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hello*' } }];
    const first = await client.chat.postMessage({ channel: 'C-APPROVALS', text: 'hi', blocks });
    const dm = await client.chat.postMessage({ channel: 'U123', text: 'psst' });

    expect(first.channel).toBe('C-APPROVALS');
    expect(dm.channel).toBe('D123');
    expect(first.ts).toMatch(/^1700000000\.\d{6}$/);
    expect(Number(dm.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.message).toMatchObject({ text: 'hi', ts: first.ts, blocks });

    const [call] = slack.callsTo('chat.postMessage');
    expect(call?.args).toEqual({ channel: 'C-APPROVALS', text: 'hi', blocks });
    expect(call?.token).toBe('xoxb-test');
  });

  it('answers the other canned methods', async () => {
    expect((await client.conversations.open({ users: 'U42' })).channel?.id).toBe('D42');
    expect((await client.users.info({ user: 'U42' })).user?.profile?.email).toBe('u42@example.com');
    expect(await client.chat.update({ channel: 'C1', ts: '1.2', text: 'new' })).toMatchObject({ channel: 'C1', ts: '1.2', text: 'new' });
    expect((await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'x' })).message_ts).toMatch(/^1700000000\./);
    const view = { type: 'home' as const, blocks: [] };
    expect((await client.views.publish({ user_id: 'U1', view })).view).toMatchObject({ id: 'V1', type: 'home' });
    expect(slack.callsTo('views.publish')[0]?.args.view).toEqual(view);
    expect(await client.apiCall('team.info')).toMatchObject({ ok: true });
  });

  it('accepts JSON bodies, token form fields and response_url posts', async () => {
    await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-json' },
      body: JSON.stringify({ channel: 'C1', blocks: [{ type: 'divider' }] }),
    });
    await fetch(`${slack.apiUrl}chat.update`, { method: 'POST', body: new URLSearchParams({ token: 'xoxb-form', ts: '1.1' }) });
    const res = await fetch(slack.responseUrl('abc'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'done', replace_original: true }),
    });
    expect(res.status).toBe(200);

    expect(slack.callsTo('chat.postMessage')[0]).toMatchObject({ token: 'xoxb-json', args: { blocks: [{ type: 'divider' }] } });
    expect(slack.callsTo('chat.update')[0]).toMatchObject({ token: 'xoxb-form', args: { ts: '1.1' } });
    expect(slack.callsTo('chat.update')[0]?.args).not.toHaveProperty('token');
    expect(slack.callsTo('response_url')[0]?.args).toEqual({ text: 'done', replace_original: true, responseId: 'abc' });
  });

  it('failNext: HTTP 500 once, then normal answers', async () => {
    slack.failNext('chat.postMessage', { status: 500 });
    const err = (await client.chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e)) as WebAPIHTTPError;
    expect(err.code).toBe(ErrorCode.HTTPError);
    expect(err.statusCode).toBe(500);
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2); // failed calls are recorded too
  });

  it('failNext: 429 with Retry-After', async () => {
    // With rejectRateLimitedCalls the client throws a typed error at once.
    const rejecting = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const err = (await rejecting.chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(err.code).toBe(ErrorCode.RateLimitedError);
    expect(err.retryAfter).toBe(7);

    // Without it, WebClient first sleeps Retry-After seconds (pausing its whole
    // request queue) and only then fails with a generic request error.
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const started = Date.now();
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RequestError,
      message: expect.stringContaining('rate limit'),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('failNext: {ok:false,error}, times and delayMs', async () => {
    slack.failNext('users.info', { error: 'user_not_found', times: 2 });
    for (let i = 0; i < 2; i++) {
      const err = (await client.users.info({ user: 'U1' }).catch((e: unknown) => e)) as WebAPIPlatformError;
      expect(err.code).toBe(ErrorCode.PlatformError);
      expect(err.data.error).toBe('user_not_found');
    }
    await expect(client.users.info({ user: 'U1' })).resolves.toMatchObject({ ok: true });

    slack.failNext('auth.test', { delayMs: 200 }); // no status/error: just slow
    const started = Date.now();
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('refuses what Slack refuses: a section over 3,000 characters, a header over 150, a context over 3,000, text over 40,000', async () => {
    const refused = async (args: Record<string, unknown>) =>
      ((await client.chat.postMessage({ channel: 'C1', ...args } as never).catch((e: unknown) => e)) as WebAPIPlatformError).data?.error;
    const section = (n: number) => [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(n) } }];
    expect(await refused({ text: 'x', blocks: section(3001) })).toBe('invalid_blocks');
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: section(3000) })).resolves.toMatchObject({ ok: true });
    expect(await refused({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] })).toBe('invalid_blocks');
    expect(await refused({ text: 'x', blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'x'.repeat(3001) }] }] })).toBe('invalid_blocks');
    expect(await refused({ text: 'x'.repeat(40_001) })).toBe('msg_too_long');
    expect(await refused({ text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toBe('invalid_blocks');
  });

  it('waitFor resolves with past or future calls and explains timeouts', async () => {
    await client.auth.test();
    await expect(slack.waitFor('auth.test')).resolves.toMatchObject({ method: 'auth.test' });

    const pending = slack.waitFor('chat.postMessage', (c) => c.args.text === 'second');
    await client.chat.postMessage({ channel: 'C1', text: 'first' });
    setTimeout(() => void client.chat.postMessage({ channel: 'C1', text: 'second' }), 20);
    await expect(pending).resolves.toMatchObject({ args: { text: 'second' } });

    await expect(slack.waitFor('views.open', undefined, 50)).rejects.toThrow(
      "FakeSlack.waitFor('views.open') timed out after 50ms; recorded calls: auth.test, chat.postMessage, chat.postMessage",
    );
    await expect(slack.waitFor('chat.postMessage', () => false, 50)).rejects.toThrow(/2 call\(s\) to it did not match the predicate/);
  });

  it('reset forgets calls and failure specs', async () => {
    await client.auth.test();
    slack.failNext('auth.test', { status: 500 });
    slack.reset();
    expect(slack.calls).toHaveLength(0);
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
  });
});

describe('the fake Slack\'s OAuth and per-token auth', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await FakeSlack.start();
    slack.client = { id: '1.2', secret: 'right-secret' };
  });
  afterAll(() => slack.stop());
  const api = (token?: string) => new WebClient(token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  const platformError = (p: Promise<unknown>) => p.then(() => 'ok', (e: WebAPIPlatformError) => e.data?.error);

  it('exchanges a code once, with the app\'s client id and secret; a refresh token works once', async () => {
    slack.authorizeCode('c1', { teamId: 'TX' });
    expect(await platformError(api().oauth.v2.access({ code: 'c1', client_id: '1.2', client_secret: 'wrong' }))).toBe('bad_client_secret');
    const first = await api().oauth.v2.access({ code: 'c1', client_id: '1.2', client_secret: 'right-secret' });
    expect(first).toMatchObject({ ok: true, team: { id: 'TX' }, is_enterprise_install: false });
    expect(await platformError(api().oauth.v2.access({ code: 'c1', client_id: '1.2', client_secret: 'right-secret' }))).toBe('invalid_code');
    const refresh = { client_id: '1.2', client_secret: 'right-secret', grant_type: 'refresh_token' as const, refresh_token: String(first.refresh_token) };
    const second = await api().oauth.v2.access(refresh);
    expect(second.access_token).not.toBe(first.access_token);
    expect(await platformError(api().oauth.v2.access(refresh))).toBe('invalid_refresh_token');
    // Each token answers for its own installation.
    expect(await api(String(second.access_token)).auth.test()).toMatchObject({ team_id: 'TX', bot_id: 'BTX' });
  });

  it('refuses a token of an uninstalled app (token_revoked) and one it never issued (invalid_auth)', async () => {
    slack.authorizeCode('c2', { teamId: 'TY' });
    const got = await api().oauth.v2.access({ code: 'c2', client_id: '1.2', client_secret: 'right-secret' });
    const token = String(got.access_token);
    expect(await platformError(api(token).chat.postMessage({ channel: 'C1', text: 'hi' }))).toBe('ok');
    slack.uninstall('TY');
    expect(await platformError(api(token).chat.postMessage({ channel: 'C1', text: 'hi' }))).toBe('token_revoked');
    expect(await platformError(api().oauth.v2.access({ client_id: '1.2', client_secret: 'right-secret', grant_type: 'refresh_token', refresh_token: String(got.refresh_token) }))).toBe('invalid_refresh_token');
    expect(await platformError(api('xoxe.xoxb-forged-1').chat.postMessage({ channel: 'C1', text: 'hi' }))).toBe('invalid_auth');
    // Refused calls are recorded as failed, with their token.
    expect(slack.callsTo('chat.postMessage').filter((c) => c.failed).map((c) => c.token)).toEqual([token, 'xoxe.xoxb-forged-1']);
  });
});

describe('the fake Slack\'s rate limits, counted as Slack counts them', () => {
  let now = 0;
  const limiter = () => new RateLimiter({
    postMessagePerChannel: { burst: 2, perMinute: 60 },
    postMessagePerWorkspace: { burst: 3, perMinute: 120 },
    methods: { 'chat.update': { burst: 1, perMinute: 60 } },
  }, () => now);

  it('chat.postMessage per channel, under a cap per Slack workspace', () => {
    const l = limiter();
    expect(l.take('chat.postMessage', { channel: 'C1' }, 'T1')).toBeNull();
    expect(l.take('chat.postMessage', { channel: 'C1' }, 'T1')).toBeNull();
    // The channel's burst is spent: a second's wait, answered as Retry-After.
    expect(l.take('chat.postMessage', { channel: 'C1' }, 'T1')).toBe(1);
    // Another channel has its own, until the workspace's cap (3) is spent.
    expect(l.take('chat.postMessage', { channel: 'C2' }, 'T1')).toBeNull();
    expect(l.take('chat.postMessage', { channel: 'C3' }, 'T1')).toBe(1);
    // The same channel id in another Slack workspace is another channel.
    expect(l.take('chat.postMessage', { channel: 'C1' }, 'T2')).toBeNull();
    expect([...l.limitedByKey]).toEqual([['chat.postMessage:T1:C1', 1], ['chat.postMessage:T1', 1]]);
    expect(l.limited.get('chat.postMessage')).toBe(2);
  });

  it('other methods per method per Slack workspace; blockKey refuses one key until lifted', () => {
    const l = limiter();
    expect(l.take('chat.update', {}, 'T1')).toBeNull();
    expect(l.take('chat.update', {}, 'T1')).toBe(1);
    expect(l.take('chat.update', {}, 'T2')).toBeNull();
    expect(l.take('views.publish', {}, 'T1')).toBeNull(); // no limit given: never refused
    l.blockKey('chat.postMessage:T1:C9', 3600);
    expect(l.take('chat.postMessage', { channel: 'C9' }, 'T1')).toBe(3600);
    expect(l.take('chat.postMessage', { channel: 'C8' }, 'T1')).toBeNull();
    l.lift();
    now += 2000;
    expect(l.take('chat.postMessage', { channel: 'C9' }, 'T1')).toBeNull();
  });

  it('a call is counted against the Slack workspace of its channel, else of its token', async () => {
    const fake = await FakeSlack.start({ limits: { postMessagePerChannel: { burst: 1, perMinute: 60 }, methods: {} } });
    try {
      fake.channelTeams.set('CSHARED', 'T2');
      fake.tokenTeams.set('xoxb-t3', 'T3');
      expect(fake.teamOf('xoxb-t3', { channel: 'CSHARED' })).toBe('T2');
      expect(fake.teamOf('xoxb-t3', { channel: 'COTHER' })).toBe('T3');
      expect(fake.teamOf(undefined, { user_id: 'U1' })).toBe('T1');
      const c3 = new WebClient('xoxb-t3', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
      const c4 = new WebClient('xoxb-t4', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
      fake.tokenTeams.set('xoxb-t4', 'T4');
      await c3.chat.postMessage({ channel: 'CX', text: 'a' });
      await c4.chat.postMessage({ channel: 'CX', text: 'b' }); // CX of T4 is another channel
      await expect(c3.chat.postMessage({ channel: 'CX', text: 'c' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
    } finally {
      await fake.stop();
    }
  });
});

describe('slack-requests', () => {
  it('sign matches an independently computed HMAC', () => {
    const body = 'a=1&b=two';
    const expected = createHmac('sha256', 'shh').update('v0:1700000000:a=1&b=two').digest('hex');
    expect(sign('shh', body, 1700000000)).toEqual({ 'x-slack-signature': `v0=${expected}`, 'x-slack-request-timestamp': '1700000000' });
    expect(Number(sign('shh', body)['x-slack-request-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
  });

  it('builds Slack-shaped bodies', () => {
    const cmd = new URLSearchParams(slashCommandBody({ command: '/kw', text: 'grant read', userId: 'U1', responseUrl: 'http://x/respond/1' }));
    expect(Object.fromEntries(cmd)).toMatchObject({ team_id: 'T1', channel_id: 'C-ADMIN', user_id: 'U1', command: '/kw', text: 'grant read', response_url: 'http://x/respond/1' });
    expect(cmd.get('trigger_id')).toBeTruthy();

    const body = blockActionBody({ actionId: 'approve', value: 'req-1', userId: 'U2', responseUrl: 'http://x/respond/2' });
    expect(body.startsWith('payload=')).toBe(true);
    const payload = JSON.parse(new URLSearchParams(body).get('payload')!);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U2', team_id: 'T1' },
      team: { id: 'T1' },
      container: { type: 'message', channel_id: 'C-APPROVALS', is_ephemeral: false },
      channel: { id: 'C-APPROVALS' },
      response_url: 'http://x/respond/2',
      actions: [{ type: 'button', action_id: 'approve', value: 'req-1' }],
    });
  });

  describe('against a real Bolt app', () => {
    const secret = 'test-signing-secret';
    let slack: FakeSlack;
    let app: App;
    let baseUrl: string;

    beforeAll(async () => {
      slack = await FakeSlack.start();
      app = new App({ token: 'xoxb-test', signingSecret: secret, clientOptions: { slackApiUrl: slack.apiUrl }, logLevel: LogLevel.ERROR });
      app.command('/kw', async ({ ack, respond, command }) => {
        await ack();
        await respond({ text: `you said ${command.text}` });
      });
      app.action('approve', async ({ ack, respond, action }) => {
        await ack();
        await respond({ text: `approved ${'value' in action ? action.value : ''}` });
      });
      const server = (await app.start(0)) as Server;
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await app.stop();
      await slack.stop();
    });

    it('accepts a signed slash command and a signed button click', async () => {
      const cmd = await postSigned(baseUrl, slashCommandBody({ command: '/kw', text: 'hello', userId: 'U1', responseUrl: slack.responseUrl('cmd') }), { secret });
      expect(cmd.status).toBe(200);
      expect(cmd.ms).toBeLessThan(3000);
      expect((await slack.waitFor('response_url', (c) => c.args.responseId === 'cmd')).args.text).toBe('you said hello');

      const act = await postSigned(baseUrl, blockActionBody({ actionId: 'approve', value: 'req-9', userId: 'U2', responseUrl: slack.responseUrl('act') }), { secret });
      expect(act.status).toBe(200);
      expect((await slack.waitFor('response_url', (c) => c.args.responseId === 'act')).args.text).toBe('approved req-9');
    });

    it('is rejected with a wrong secret or a stale timestamp', async () => {
      const body = slashCommandBody({ command: '/kw', text: 'x', userId: 'U1', responseUrl: slack.responseUrl() });
      expect((await postSigned(baseUrl, body, { secret: 'wrong' })).status).toBe(401);
      const stale = Math.floor(Date.now() / 1000) - 10 * 60;
      expect((await postSigned(baseUrl, body, { secret, timestampSec: stale })).status).toBe(401);
    });
  });
});
