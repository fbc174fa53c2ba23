/**
 * Finding 5 of the second review: subteam_members_changed reaches one web process, but every
 * process kept its own copy of the group for five minutes, so someone taken out of a group could
 * still approve on another process. Two Keywarden instances on one Redis and one store: the event
 * reaches the first, the click the second.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startKeywarden, type Keywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { SlackDirectory } from '../../src/slack/directory.js';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, LogCapture, SIGNING_SECRET, startTestApp, testSeed, type TestApp } from '../helpers/keywarden.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';
import { blockActionBody, postSigned } from '../helpers/slack-requests.js';

const SEC = 'S0SECURITY';
const [ALICE, BOB, CAROL] = ['UALICE', 'UBOB', 'UCAROL'];
const PREFIX = 'kwtest-groups2';

describe('a user group changed, seen by another process', () => {
  let t: TestApp;
  let second: Keywarden;
  beforeAll(async () => {
    const seed = testSeed();
    (seed.workspaces[0]!.policy as object) = {
      requiredApprovals: 1, requestTtlHours: 72,
      rules: [{ kinds: ['permission.role'], roles: ['ADMIN'], approvals: 2, approvers: [SEC] }],
    };
    t = await startTestApp({ seed, options: { queuePrefix: PREFIX } });
    t.slack.groups.set(SEC, [ALICE, BOB, ADMIN]);
    // A second process on the same Redis and store (web and workers, as the in-memory store requires).
    const config = loadConfig({
      PORT: '0', MONGODB_URI: 'memory', REDIS_URL: t.redis.url, SLACK_API_URL: t.slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, LOG_LEVEL: 'debug',
    });
    second = await startKeywarden(config, { log: createLog('debug', new LogCapture()), store: t.store, queuePrefix: PREFIX });
  });
  afterAll(async () => {
    await second?.stop();
    await t?.stop();
  });

  let n = 0;
  async function clickOnSecond(requestId: string, user: string): Promise<string> {
    const responseId = `second-${++n}`;
    const body = blockActionBody({ actionId: ids.APPROVE, value: requestId, userId: user, teamId: 'T1', responseUrl: t.slack.responseUrl(responseId), channelId: APPROVALS });
    expect((await postSigned(second.url!, body, { secret: SIGNING_SECRET })).status).toBe(200);
    return t.answer(responseId);
  }

  it('refuses, on the second process, a member the first was told had left', async () => {
    const reply = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN')).responseId);
    const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short));
    const id: string = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value;
    // The second process reads the group (Bob in it) and keeps it.
    expect(await clickOnSecond(id, ALICE)).toMatch(/needs another approver/);
    // Bob leaves; Slack tells the first process only.
    t.slack.groups.set(SEC, [ALICE, CAROL]);
    const event = JSON.stringify({
      token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: `Ev${Date.now()}`, event_time: Math.floor(Date.now() / 1000),
      event: { type: 'subteam_members_changed', subteam_id: SEC, team_id: 'T1', added_users: [CAROL], removed_users: [BOB], event_ts: String(Date.now() / 1000) },
    });
    expect((await postSigned(t.kw.url!, event, { secret: SIGNING_SECRET, contentType: 'application/json' })).status).toBe(200);
    await expect.poll(() => t.logs.text.includes('user group changed'), { timeout: 5000 }).toBe(true);
    expect(await clickOnSecond(id, BOB)).toMatch(/Only <!subteam\^S0SECURITY> can decide/);
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
    expect(await clickOnSecond(id, CAROL)).toMatch(/^Approved/);
  });
});

describe('SlackDirectory generations', () => {
  let redis: TestRedis;
  let a: Redis;
  let b: Redis;
  const members = new Map<string, string[]>([[SEC, [ALICE, BOB]]]);
  let reads = 0;
  const slack = { usergroups: { users: { list: async ({ usergroup }: { usergroup: string }) => { reads++; return { users: members.get(usergroup) ?? [] }; } } } };
  beforeAll(async () => {
    redis = await startRedis();
    a = new Redis(redis.url);
    b = new Redis(redis.url);
  });
  afterAll(async () => {
    a?.disconnect();
    b?.disconnect();
    await redis?.stop();
  });

  it('a change told to one process is read again by another; a Redis emptied since invalidates every copy', async () => {
    const worker = new SlackDirectory(slack, { generations: a, prefix: 'gen1' });
    const web = new SlackDirectory(slack, { generations: b, prefix: 'gen1' });
    reads = 0;
    expect(await worker.groupMembers(SEC)).toEqual([ALICE, BOB]);
    expect(await worker.groupMembers(SEC)).toEqual([ALICE, BOB]);
    expect(reads).toBe(1);
    members.set(SEC, [ALICE]);
    await web.forget(SEC);
    expect(await worker.groupMembers(SEC)).toEqual([ALICE]);
    expect(reads).toBe(2);
    // Redis lost its keys (restarted empty): the copy made before is not trusted.
    members.set(SEC, [CAROL]);
    await a.flushall();
    expect(await worker.groupMembers(SEC)).toEqual([CAROL]);
    expect(reads).toBe(3);
    expect(await worker.groupMembers(SEC)).toEqual([CAROL]);
    expect(reads).toBe(3);
  });

  it('asks Slack every time while Redis cannot be read, and drops what it had', async () => {
    let down = false;
    const flaky = {
      get: async (k: string) => { if (down) throw new Error('redis down'); return a.get(k); },
      set: async (...args: [string, string, 'EX', number, 'NX'?]) => { if (down) throw new Error('redis down'); return (a.set as any)(...args); },
    };
    const d = new SlackDirectory(slack, { generations: flaky as any, prefix: 'gen2' });
    members.set(SEC, [ALICE, BOB]);
    reads = 0;
    await d.groupMembers(SEC);
    down = true;
    members.set(SEC, [ALICE]);
    expect(await d.groupMembers(SEC)).toEqual([ALICE]);
    expect(await d.groupMembers(SEC)).toEqual([ALICE]);
    expect(reads).toBe(3);
    // A change told while Redis is away is written once it is back.
    await d.forget(SEC);
    down = false;
    const other = new SlackDirectory(slack, { generations: b, prefix: 'gen2' });
    const before = await b.get('gen2:group-generation:S0SECURITY');
    await expect.poll(async () => (await b.get('gen2:group-generation:S0SECURITY')) !== before, { timeout: 5000 }).toBe(true);
    d.close();
    other.close();
  });
});
