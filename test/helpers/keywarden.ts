/**
 * Starts the real Keywarden (Bolt app, HTTP server, BullMQ workers) against a private Redis, the
 * fake Slack Web API and the in-memory store (or a given one), seeded with a test workspace.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Store } from '../../src/app/ports.js';
import { loadConfig } from '../../src/config.js';
import { startKeywarden, type Keywarden, type KeywardenOptions } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { SLACK_LANE_LIMITS, UNLIMITED_LANES } from '../../src/slack/outbound/lanes.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { FakeSlack, type FakeSlackOptions } from './fake-slack.js';
import { startRedis, type TestRedis } from './redis.js';
import { blockActionBody, postSigned, slashCommandBody } from './slack-requests.js';
import { TEST_KEYWARDEN_SECRET } from './secret.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const TEAM = 'T1';
export const TEAM2 = 'T2';
export const ADMIN = 'UADMIN1';
export const ADMIN2 = 'UADMIN2';
export const APPROVER1 = 'UAPPR1';
export const APPROVER2 = 'UAPPR2';
export const OUTSIDER = 'UOUTSIDER';
export const APPROVALS = 'CAPPROVALS';
export const WS_ID = 'e1937ae6-05d4-4e43-a3b5-565e7d80b82c';
export const WS2_ID = '7c3f1a52-9d1e-4b8a-8e11-2f5d3c9a0b77';

/** Two workspaces: meshlab (team T1, one approval) and strict (team T2, two approvals). ADMIN2 is also an approver. */
export function testSeed() {
  const users = [
    { id: 'bdba4b5d-2d63-49ef-a087-045f020294bb', permissionId: '04259076-8cbc-418e-9d2f-20144d5d8bda', email: 'john.doe@meshlab.de', firstName: 'John', lastName: 'Doe', role: 'MEMBER', status: 'INVITED' },
    { email: 'jane.roe@meshlab.de', firstName: 'Jane', lastName: 'Roe', role: 'MEMBER', status: 'ACTIVE' },
    { email: 'max.muster@meshlab.de', firstName: 'Max', lastName: 'Muster', role: 'VIEWER', status: 'ARCHIVED' },
  ];
  const ws = (id: string, name: string, teamId: string, requiredApprovals: number, withIds: boolean) => ({
    id, name, slack: { teamId, approvalsChannel: APPROVALS, notificationChannels: ['CNOTIFY'] },
    admins: [ADMIN, ADMIN2], approvers: [APPROVER1, APPROVER2, ADMIN2], policy: { requiredApprovals, requestTtlHours: 72 },
    // Permission ids are unique across workspaces: only the first workspace names them.
    users: withIds ? users : users.map(({ permissionId: _, ...u }) => u),
  });
  return { workspaces: [ws(WS_ID, 'meshlab', TEAM, 1, true), ws(WS2_ID, 'strict', TEAM2, 2, false)] };
}

/** Captures every log line, so tests can assert on what was (not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(chunk.toString());
    cb();
  }
  get text() {
    return this.lines.join('');
  }
}

/** A signed request's HTTP answer, and the id of its response_url for the ephemeral answer. */
export interface Sent {
  status: number;
  text: string;
  json?: any;
  ms: number;
  responseId: string;
}

export interface TestApp {
  kw: Keywarden;
  slack: FakeSlack;
  redis: TestRedis;
  store: Store;
  logs: LogCapture;
  /** `enterpriseId`, `isEnterpriseInstall`: a command from a workspace of an Enterprise Grid organisation. */
  command(userId: string, text: string, command?: string, opts?: { teamId?: string; enterpriseId?: string; isEnterpriseInstall?: boolean }): Promise<Sent>;
  click(actionId: string, value: string, userId: string, opts?: { teamId?: string; enterpriseId?: string; orgWide?: boolean }): Promise<Sent>;
  /** The ephemeral answer sent to a response_url, waiting for it. */
  answer(responseId: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * `seed`: the seed file's contents (default testSeed()); `store`: one kept from an earlier start;
 * `slack`: the fake Slack's options (its rate limits).
 */
export async function startTestApp(
  opts: { env?: Record<string, string>; options?: KeywardenOptions; store?: Store; seed?: object; slack?: FakeSlackOptions } = {},
): Promise<TestApp> {
  const [redis, slack] = await Promise.all([startRedis(), FakeSlack.start(opts.slack)]);
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-test-'));
  // The folder holds only the seed file: removed on stop, and at once when the start fails.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    return await start(opts, redis, slack, dir, removeDir);
  } catch (err) {
    removeDir();
    await Promise.all([slack.stop(), redis.stop()]).catch(() => undefined);
    throw err;
  }
}

async function start(
  opts: Parameters<typeof startTestApp>[0] & object, redis: TestRedis, slack: FakeSlack, dir: string, removeDir: () => void,
): Promise<TestApp> {
  const seedFile = join(dir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify(opts.seed ?? testSeed()));
  const config = loadConfig({
    PORT: '0', MONGODB_URI: 'memory', REDIS_URL: redis.url, SLACK_API_URL: slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, SEED_FILE: seedFile, LOG_LEVEL: 'debug',
    ...opts.env,
  });
  const logs = new LogCapture();
  const store = opts.store ?? createMemoryStore();
  const kw = await startKeywarden(config, {
    log: createLog('debug', logs), store, queuePrefix: `kwtest-${randomUUID().slice(0, 8)}`, sweepEveryMs: 500,
    // Against a fake Slack without limits, messages go out unpaced (as they would to such a Slack).
    slackLanes: opts.slack?.limits ? SLACK_LANE_LIMITS : UNLIMITED_LANES,
    ...opts.options,
  });
  let n = 0;
  const base = kw.url!;
  return {
    kw, slack, redis, store, logs,
    // The response id is taken before the request is sent: concurrent calls each keep their own.
    async command(userId, text, command = '/permission', o = {}) {
      const responseId = `cmd-${++n}`;
      const responseUrl = slack.responseUrl(responseId);
      const res = await postSigned(base, slashCommandBody({ command, text, userId, teamId: o.teamId ?? TEAM, responseUrl, ...(o.enterpriseId && { enterpriseId: o.enterpriseId, isEnterpriseInstall: o.isEnterpriseInstall }) }), { secret: SIGNING_SECRET });
      return { ...res, responseId };
    },
    async click(actionId, value, userId, o = {}) {
      const responseId = `click-${++n}`;
      const responseUrl = slack.responseUrl(responseId);
      const res = await postSigned(base, blockActionBody({ actionId, value, userId, teamId: o.teamId ?? TEAM, responseUrl, channelId: APPROVALS, enterpriseId: o.enterpriseId, orgWide: o.orgWide }), { secret: SIGNING_SECRET });
      return { ...res, responseId };
    },
    async answer(responseId) {
      const call = await slack.waitFor('response_url', (c) => c.args.responseId === responseId);
      return String(call.args.text ?? '');
    },
    async stop() {
      try {
        await kw.stop();
        await Promise.all([slack.stop(), redis.stop()]);
      } finally {
        removeDir();
      }
    },
  };
}
