/**
 * Connecting a workspace: the seed's `leanix` (https or loopback, defaults, bounds), the API token
 * from the variable it names (missing or empty: the start stops with one line naming it), and
 * /readyz naming a connection LeanIX no longer accepts while staying 200.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Seed } from '../../src/app/seed.js';
import { loadConfig } from '../../src/config.js';
import { startKeywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { seedIssue } from '../../src/store/seed-file.js';
import { FakeLeanix } from '../helpers/fake-leanix.js';
import { LogCapture, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';

const withLeanix = (leanix: object) => {
  const seed = testSeed();
  return { workspaces: [{ ...seed.workspaces[0]!, leanix }, seed.workspaces[1]!] };
};
const problem = (leanix: object) => {
  const r = Seed.safeParse(withLeanix(leanix));
  return r.success ? null : seedIssue(r.error.issues[0]!);
};

describe('the seed connects a workspace to LeanIX', () => {
  it('defaults workspaceId to the workspace id, syncSeconds to 300 and rolesManagedBy to keywarden', () => {
    const seed = Seed.parse(withLeanix({ baseUrl: 'https://acme.leanix.net', apiTokenEnv: 'LEANIX_API_TOKEN_ACME' }));
    expect(seed.workspaces[0]!.leanix).toEqual({
      baseUrl: 'https://acme.leanix.net', workspaceId: WS_ID, apiTokenEnv: 'LEANIX_API_TOKEN_ACME', syncSeconds: 300, rolesManagedBy: 'keywarden',
    });
    expect('leanix' in seed.workspaces[1]!).toBe(false);
  });

  it('refuses http except on loopback, a bad syncSeconds, a token in the file and a bad variable name, saying where', () => {
    const ok = { baseUrl: 'https://acme.leanix.net', apiTokenEnv: 'LEANIX_API_TOKEN_ACME' };
    expect(problem({ ...ok, baseUrl: 'http://acme.leanix.net' })).toBe('workspaces[0].leanix.baseUrl: must be https (plain http only for a loopback address)');
    expect(problem({ ...ok, baseUrl: 'http://127.0.0.1:8080' })).toBeNull();
    expect(problem({ ...ok, baseUrl: 'http://localhost:8080' })).toBeNull();
    expect(problem({ ...ok, syncSeconds: 10 })).toBe('workspaces[0].leanix.syncSeconds: at least 30');
    expect(problem({ ...ok, syncSeconds: 90_000 })).toBe('workspaces[0].leanix.syncSeconds: at most 86400');
    expect(problem({ ...ok, rolesManagedBy: 'scim' })).toBe('workspaces[0].leanix.rolesManagedBy: keywarden or idp');
    expect(problem({ ...ok, apiToken: 'secret' })).toMatch(/^workspaces\[0\]\.leanix: unknown field apiToken .*the token itself goes in the variable/);
    expect(problem({ ...ok, apiTokenEnv: 'leanix token' })).toMatch(/^workspaces\[0\]\.leanix\.apiTokenEnv: must be the name of an environment variable/);
  });
});

describe('starting a connected workspace', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  const start = async (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'keywarden-leanix-'));
    dirs.push(dir);
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify(withLeanix({ baseUrl: 'https://acme.leanix.net', apiTokenEnv: 'LEANIX_API_TOKEN_ACME' })));
    const config = loadConfig({
      PORT: '0', MONGODB_URI: 'memory', REDIS_URL: 'redis://127.0.0.1:1', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test-signing-secret',
      KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, SEED_FILE: seedFile, ...env,
    });
    const store = createMemoryStore();
    const logs = new LogCapture();
    await expect(startKeywarden(config, { store, log: createLog('debug', logs) })).rejects.toThrow(
      'Invalid configuration: LEANIX_API_TOKEN_ACME is required (workspace meshlab is connected to LeanIX and its leanix.apiTokenEnv names it; put an ADMIN technical user\'s API token there)',
    );
    // Stopped before the seed changed anything.
    expect(await store.workspaces.list()).toEqual([]);
  };

  it('stops with one line naming the variable when it is missing', async () => {
    await start({});
  });

  it('stops the same way when the variable is empty', async () => {
    await start({ LEANIX_API_TOKEN_ACME: '   ' });
  });
});

describe('/readyz and a connection LeanIX refuses', () => {
  let app: TestApp | undefined;
  let lx: FakeLeanix | undefined;
  afterEach(async () => {
    await app?.stop();
    await lx?.stop();
  });

  it('names the unauthorised connection and stays 200; the token is in no record and no log line', async () => {
    lx = await FakeLeanix.start({ workspaceId: WS_ID });
    app = await startTestApp({
      seed: withLeanix({ baseUrl: lx.url, apiTokenEnv: 'LEANIX_API_TOKEN_ACME' }),
      env: { LEANIX_API_TOKEN_ACME: lx.apiToken },
    });
    const ready = async () => { const r = await fetch(`${app!.kw.url}/readyz`); return { status: r.status, body: await r.json() as Record<string, any> }; };
    expect((await ready()).body.leanix).toEqual({ meshlab: { state: 'connected' } });
    lx.revokeApiToken();
    await expect(app.kw.leanix.get(WS_ID)!.client.getPermissionByEmail('john.doe@meshlab.de')).rejects.toThrow(/replaced or deleted/);
    const r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.leanix.meshlab).toMatchObject({ state: 'unauthorised', reason: expect.stringMatching(/API token was replaced or deleted in LeanIX/) });
    const ws = await app.store.workspaces.findById(WS_ID);
    expect(JSON.stringify(ws)).not.toContain(lx.apiToken);
    expect(ws!.leanix!.apiTokenEnv).toBe('LEANIX_API_TOKEN_ACME');
    expect(app.logs.text).not.toContain(lx.apiToken);
  });
});
