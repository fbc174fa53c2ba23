/**
 * Findings 6 and 7 of the second review, through the real Bolt app, BullMQ and the fake Slack:
 * messages that must be seen are claimed one place at a time, so a place Slack refuses for good
 * (an archived channel) neither repeats the others at every retry or sweep nor turns a change
 * that was made into "nothing was changed"; and a break-glass announcement left unsent by a
 * stopped process is made by the sweep.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_QUEUE } from '../../src/queue/names.js';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, APPROVER1, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { TestClock } from '../helpers/clock.js';
import type { SlackCall } from '../helpers/fake-slack.js';
import { faultyStore } from '../helpers/faulty-store.js';
import { LogCapture, SIGNING_SECRET } from '../helpers/keywarden.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.js';
import { loadConfig } from '../../src/config.js';
import { startKeywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3600_000;
const PREFIX = 'kwtest-claims';
let t: TestApp;
const clock = new TestClock();
beforeAll(async () => {
  const seed = testSeed();
  (seed.workspaces[0]!.policy as object) = {
    requiredApprovals: 1, requestTtlHours: 72, breakGlassReviewHours: 1,
    rules: [{ kinds: ['permission.role'], roles: ['ADMIN'], approvals: 1, approvers: [APPROVER1, 'UAPPR2'], breakGlass: true }],
  };
  t = await startTestApp({ seed, options: { clock, queuePrefix: PREFIX } });
});
afterAll(async () => {
  await t?.stop();
});

const until = <T>(what: string, read: () => Promise<T | null | undefined | false>) => waitFor(what, read, 10_000);

const posts = (p: (c: SlackCall) => boolean) => t.slack.callsTo('chat.postMessage').filter(p);
const about = (id: string, re: RegExp) => (c: SlackCall) => String(c.args.text ?? '').includes(id.slice(0, 8)) && re.test(String(c.args.text));

/** A grant of ADMIN for 1h, asked for, approved and applied; returns its request id. */
async function granted(email: string): Promise<string> {
  const reply = await t.answer((await t.command(ADMIN, `role ${email} ADMIN for 1h`)).responseId);
  const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short));
  const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  expect(await t.answer((await t.click(ids.APPROVE, id, APPROVER1)).responseId)).toMatch(/^Approved/);
  await until('applied', async () => (await t.store.requests.findById(id))?.status === 'APPLIED');
  await until('its DM', async () => posts((c) => c.args.channel === ADMIN && String(c.args.text).includes(id.slice(0, 8))).length > 0);
  return id;
}

describe('the end of a grant, with the approvals channel archived', () => {
  it('End now says the grant ended, and the DM goes out once', async () => {
    const id = await granted('jane.roe@meshlab.de');
    t.slack.archived.add(APPROVALS);
    try {
      expect(await t.answer((await t.click(ids.GRANT_END_NOW, id, ADMIN)).responseId)).toBe('Ended: jane.roe@meshlab.de is MEMBER again.');
      await until('the thread refused', async () => posts((c) => c.args.channel === APPROVALS && c.failed === true && about(id, /ended early/)(c)).length > 0);
      expect(posts((c) => c.args.channel === ADMIN && about(id, /was ended early/)(c))).toHaveLength(1);
      const r = (await t.store.requests.findById(id))!;
      expect(r.undelivered?.map((u) => u.error)).toEqual([expect.stringContaining('is_archived')]);
    } finally {
      t.slack.archived.delete(APPROVALS);
    }
  });

  it('the end job tells the requester once, however often it would be retried', async () => {
    const id = await granted('max.muster@meshlab.de');
    const [view] = (await t.kw.grants.list(WS_ID)).filter((g) => g.grant.requestId === id);
    t.slack.archived.add(APPROVALS);
    try {
      clock.advance(HOUR + 1000);
      // The grant's end job, delayed by the real hour, is made to fire now.
      const grants = new Queue(GRANT_QUEUE, { connection: { url: t.redis.url }, prefix: PREFIX });
      try {
        await (await grants.getJob(`end-${id}-${view!.grant.until.getTime()}`))!.promote();
      } finally {
        await grants.close();
      }
      await until('the DM', async () => posts((c) => c.args.channel === ADMIN && about(id, /ran out/)(c)).length > 0);
      // The job's backoff would have retried it within these 3 s (1 s, then 2 s).
      await new Promise((r) => setTimeout(r, 3000));
      expect(posts((c) => c.args.channel === ADMIN && about(id, /ran out/)(c))).toHaveLength(1);
      // The end job finished (it found the end made, by itself or the sweep), not left to retry.
      expect(t.logs.text).toContain(`"grantId":"${id}","outcome"`);
      // The thread refused once (by the first run to end it), and was not tried again.
      expect(posts((c) => c.args.channel === APPROVALS && about(id, /ran out/)(c))).toHaveLength(1);
    } finally {
      t.slack.archived.delete(APPROVALS);
    }
  });
});

describe('break-glass messages, with a notification channel archived', () => {
  it('reminds the thread once a period, however often the sweep runs', async () => {
    const reply = await t.answer((await t.command(ADMIN, 'role john.doe@meshlab.de ADMIN for 1h breakglass incident 43: disk is full')).responseId);
    expect(reply).toMatch(/Break-glass/);
    const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
    const r = await until('applied', async () => (await t.store.requests.listByWorkspace(WS_ID, { limit: 20 })).find((x) => x.id.startsWith(short) && x.status === 'APPLIED'));
    t.slack.archived.add('CNOTIFY');
    try {
      clock.advance(HOUR + 1000);
      await until('the channel refused', async () => posts((c) => c.args.channel === 'CNOTIFY' && c.failed === true && about(r.id, /awaiting review/)(c)).length > 0);
      // Six sweeps (every 500 ms in the tests).
      await new Promise((res) => setTimeout(res, 3000));
      expect(posts((c) => c.args.channel === APPROVALS && about(r.id, /awaiting review/)(c))).toHaveLength(1);
      expect(posts((c) => c.args.channel === 'CNOTIFY' && about(r.id, /awaiting review/)(c))).toHaveLength(1);
    } finally {
      t.slack.archived.delete('CNOTIFY');
    }
  });
});

describe('a break-glass announcement, when the process stops after approving', () => {
  it('is made by the sweep of another process, once in each place', async () => {
    // Process A serves Slack on the same store and Redis, and stops right after the change is
    // approved at once: every store call after that compare-and-set waits until the test ends.
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    let dead = false;
    const f = faultyStore(t.store);
    f.rule = (call) => {
      if (dead) return { until: stopped };
      if (call.repo === 'requests' && call.method === 'update' && (call.args[2] as { status?: string }).status === 'APPROVED') dead = true;
      return undefined;
    };
    const config = loadConfig({
      PORT: '0', MONGODB_URI: 'mongodb://127.0.0.1:9/unused', ROLE: 'web', REDIS_URL: t.redis.url, SLACK_API_URL: t.slack.apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET, LOG_LEVEL: 'debug',
    });
    const a = await startKeywarden(config, { log: createLog('debug', new LogCapture()), store: f.store, queuePrefix: PREFIX, clock });
    try {
      const body = slashCommandBody({ command: '/permission', text: 'role jane.roe@meshlab.de ADMIN for 1h breakglass incident 44: queue is stuck', userId: ADMIN, teamId: 'T1', responseUrl: t.slack.responseUrl('stopped-1') });
      expect((await postSigned(a.url!, body, { secret: SIGNING_SECRET })).status).toBe(200);
      const r = await until('the change approved', async () => dead && (await t.store.requests.listByWorkspace(WS_ID, { limit: 50 })).find((x) => x.breakGlass && x.reason?.includes('incident 44')));
      // Process B (the test app's workers) applies it, and its sweep announces it.
      await until('the announcement in the channel', async () => posts((c) => c.args.channel === 'CNOTIFY' && about(r.id, /\*Break-glass\* in/)(c)).length > 0);
      await until('the announcement in the thread', async () => posts((c) => c.args.channel === APPROVALS && c.args.thread_ts && about(r.id, /\*Break-glass\* in/)(c)).length > 0);
      await new Promise((res) => setTimeout(res, 1500)); // three more sweeps
      expect(posts((c) => c.args.channel === 'CNOTIFY' && about(r.id, /\*Break-glass\* in/)(c))).toHaveLength(1);
      expect(posts((c) => c.args.channel === APPROVALS && c.args.thread_ts && about(r.id, /\*Break-glass\* in/)(c))).toHaveLength(1);
    } finally {
      release();
      await a.stop();
    }
  });
});
