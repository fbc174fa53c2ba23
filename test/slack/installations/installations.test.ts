/**
 * Installable mode's parts (issue 23), against the fake Slack's OAuth and a real Redis: two Slack
 * workspaces installed through Bolt's OAuth flow (@slack/oauth's InstallProvider, the install
 * path and the redirect) into Keywarden's store, their tokens sealed; an org-wide install found
 * for any workspace of its organisation; a token about to expire refreshed once while two
 * processes ask for it at the same time, no token lost; an uninstalled one gone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { InstallProvider } from '@slack/oauth';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebClient } from '@slack/web-api';
import { createLog } from '../../../src/log.js';
import { JweTokenSealer } from '../../../src/crypto/jwe-sealer.js';
import { KeywardenInstallationStore } from '../../../src/slack/installations/bolt-store.js';
import { InstallationTokens, REFRESH_BEFORE_MS, sealContext } from '../../../src/slack/installations/tokens.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import { TestClock } from '../../helpers/clock.js';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { LogCapture } from '../../helpers/keywarden.js';
import { TEST_KEYWARDEN_SECRET } from '../../helpers/secret.js';

let slack: FakeSlack;
let redis: TestRedis;
const connections: Redis[] = [];
beforeAll(async () => {
  [slack, redis] = await Promise.all([FakeSlack.start(), startRedis()]);
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await Promise.all([slack.stop(), redis.stop()]);
});

function rig() {
  const store = createMemoryStore();
  const clock = new TestClock();
  const sealer = new JweTokenSealer(TEST_KEYWARDEN_SECRET, 'slack-installation/v1');
  const logs = new LogCapture();
  const log = createLog('debug', logs);
  const prefix = `kwtest-${randomUUID().slice(0, 8)}`;
  const oauthClient = new WebClient(undefined, { slackApiUrl: slack.apiUrl });
  /** One process's view: its own Redis connection. */
  const tokens = () => {
    const c = new Redis(redis.url);
    connections.push(c);
    return new InstallationTokens({
      installations: store.slackInstallations, sealer, redis: c, prefix, clock, log,
      refresh: async (refreshToken) => {
        const res = await oauthClient.oauth.v2.access({ client_id: 'CID', client_secret: 'CSECRET', grant_type: 'refresh_token', refresh_token: refreshToken });
        return { accessToken: String(res.access_token), refreshToken: String(res.refresh_token), expiresInSeconds: Number(res.expires_in) };
      },
    });
  };
  return { store, clock, sealer, logs, tokens, boltStore: new KeywardenInstallationStore({ installations: store.slackInstallations, sealer, clock }) };
}

/** Bolt's install path and redirect on a server of the test's own, over `installationStore`. */
async function oauthServer(installationStore: KeywardenInstallationStore): Promise<{ url: string; server: Server }> {
  const installer = new InstallProvider({
    clientId: 'CID', clientSecret: 'CSECRET', stateSecret: 'state-secret-0123456789', installationStore,
    clientOptions: { slackApiUrl: slack.apiUrl }, directInstall: true,
  });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/slack/install') void installer.handleInstallPath(req, res, undefined, { scopes: ['chat:write', 'commands'] });
    else if (path === '/slack/oauth_redirect') void installer.handleCallback(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Someone clicks "Add to Slack" and approves on `to`: the install path, then Slack's redirect with a code. */
async function install(base: string, to: { teamId?: string; enterpriseId?: string; orgWide?: boolean }): Promise<number> {
  const start = await fetch(`${base}/slack/install`, { redirect: 'manual' });
  const cookie = start.headers.get('set-cookie')?.split(';')[0] ?? '';
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  const code = `code-${randomUUID()}`;
  slack.authorizeCode(code, to);
  const done = await fetch(`${base}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, { headers: { cookie }, redirect: 'manual' });
  return done.status;
}

describe('installable mode', () => {
  it('installs two Slack workspaces through the OAuth flow: each its own token, sealed at rest', async () => {
    const { store, tokens, boltStore } = rig();
    const { url, server } = await oauthServer(boltStore);
    try {
      expect(await install(url, { teamId: 'TA' })).toBeLessThan(400);
      expect(await install(url, { teamId: 'TB' })).toBeLessThan(400);
    } finally {
      server.close();
    }
    const [a, b] = [await store.slackInstallations.findById('TA'), await store.slackInstallations.findById('TB')];
    expect(a).toMatchObject({ teamId: 'TA', isEnterpriseInstall: false, botUserId: 'UBOTTA' });
    expect(b).toMatchObject({ teamId: 'TB' });
    // Nothing readable at rest.
    for (const i of [a!, b!]) expect(JSON.stringify(i)).not.toMatch(/xox/);
    const t = tokens();
    expect(await t.botToken('TA')).toMatch(/^xoxe\.xoxb-TA-/);
    expect(await t.botToken('TB')).toMatch(/^xoxe\.xoxb-TB-/);
    expect(await t.botToken('TC')).toBeNull();
    // A token sealed for one installation does not open as another's.
    await store.slackInstallations.put({ ...b!, id: 'TA', teamId: 'TA' });
    await expect(t.botToken('TA')).rejects.toThrow();
    // Bolt reads them back as it stored them.
    expect((await boltStore.fetchInstallation({ teamId: 'TB', isEnterpriseInstall: false, enterpriseId: undefined })).bot?.token).toMatch(/^xoxe\.xoxb-TB-/);
  });

  it('opens a bot token once while its record is unchanged, and sees an uninstall or a new token at the next call', async () => {
    const { store, sealer, tokens, boltStore } = rig();
    const { url, server } = await oauthServer(boltStore);
    try {
      expect(await install(url, { teamId: 'TK' })).toBeLessThan(400);
    } finally {
      server.close();
    }
    const t = tokens();
    const opens = vi.spyOn(sealer, 'open');
    const first = await t.botToken('TK');
    expect(await t.botToken('TK')).toBe(first);
    expect(await t.botToken('TK')).toBe(first);
    expect(opens).toHaveBeenCalledTimes(1);
    // Another token stored (a reinstall): opened at the next call.
    const i = (await store.slackInstallations.findById('TK'))!;
    await store.slackInstallations.put({ ...i, sealedBotToken: await sealer.seal('xoxb-TK-new', sealContext('TK', 'bot')) });
    expect(await t.botToken('TK')).toBe('xoxb-TK-new');
    expect(opens).toHaveBeenCalledTimes(2);
    // Uninstalled: no token at once, whatever was opened before.
    await store.slackInstallations.delete('TK');
    expect(await t.botToken('TK')).toBeNull();
    opens.mockRestore();
  });

  it('an org-wide install speaks for every workspace of its organisation, as each request names it', async () => {
    const { tokens, boltStore } = rig();
    const { url, server } = await oauthServer(boltStore);
    try {
      expect(await install(url, { enterpriseId: 'EORG', orgWide: true })).toBeLessThan(400);
    } finally {
      server.close();
    }
    const t = tokens();
    // Two workspaces of the organisation: the enterprise id each command carries finds the install.
    expect(await t.botToken('TORG1', 'EORG')).toMatch(/^xoxe\.xoxb-EORG-/);
    expect(await t.botToken('TORG2', 'EORG')).toMatch(/^xoxe\.xoxb-EORG-/);
    // Never assumed: a workspace outside it (or a request naming no organisation) is not installed.
    expect(await t.botToken('TOUT', null)).toBeNull();
    expect(await t.botToken('TOUT', 'EOTHER')).toBeNull();
  });

  it('a token about to expire is refreshed once while two processes ask for it at the same time; no token is lost', async () => {
    const { store, clock, tokens, boltStore } = rig();
    const { url, server } = await oauthServer(boltStore);
    try {
      await install(url, { teamId: 'TR' });
    } finally {
      server.close();
    }
    const [p1, p2] = [tokens(), tokens()];
    const first = await p1.botToken('TR');
    const refreshesBefore = slack.callsTo('oauth.v2.access').filter((c) => c.args.grant_type === 'refresh_token').length;
    // Twelve hours on, a few minutes before the token expires: both processes send at once.
    clock.advance(slack.tokenLifetimeSeconds * 1000 - REFRESH_BEFORE_MS / 3);
    const got = await Promise.all([p1.botToken('TR'), p2.botToken('TR'), p1.botToken('TR'), p2.botToken('TR')]);
    const refreshes = slack.callsTo('oauth.v2.access').filter((c) => c.args.grant_type === 'refresh_token').slice(refreshesBefore);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]!.failed).toBeUndefined();
    expect(new Set(got).size).toBe(1);
    expect(got[0]).not.toBe(first);
    const stored = (await store.slackInstallations.findById('TR'))!;
    // Twelve hours from the refresh (the test clock moves on with real time too).
    expect(stored.expiresAt!.getTime()).toBeGreaterThan(clock.now().getTime() + slack.tokenLifetimeSeconds * 1000 - 5000);
    expect(stored.expiresAt!.getTime()).toBeLessThanOrEqual(clock.now().getTime() + slack.tokenLifetimeSeconds * 1000);
    // The stored refresh token is the live one: the next refresh works.
    clock.advance(slack.tokenLifetimeSeconds * 1000 - REFRESH_BEFORE_MS / 3);
    expect(await p2.botToken('TR')).toMatch(/^xoxe\.xoxb-TR-/);
    expect(slack.callsTo('oauth.v2.access').filter((c) => c.args.grant_type === 'refresh_token' && c.result)).toHaveLength(refreshesBefore + 2);
  });

  it('uninstalled: the installation is removed and its Slack workspace has no token until it is installed again', async () => {
    const { boltStore, tokens } = rig();
    const { url, server } = await oauthServer(boltStore);
    try {
      await install(url, { teamId: 'TU' });
      const t = tokens();
      expect(await t.botToken('TU')).not.toBeNull();
      await boltStore.deleteInstallation({ teamId: 'TU', isEnterpriseInstall: false, enterpriseId: undefined });
      expect(await t.botToken('TU')).toBeNull();
      await install(url, { teamId: 'TU' });
      expect(await t.botToken('TU')).not.toBeNull();
    } finally {
      server.close();
    }
  });
});
