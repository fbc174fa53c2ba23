/**
 * Webhooks through the running app (Bolt, BullMQ, a real Redis, the fake Slack) against local
 * receivers: signed with the docs' own verification, history lines as the history API serves
 * them, request status changes in order; a receiver that answers 500 then 200, one that is slow
 * (Slack and applies go on meanwhile), one that is down and comes back, one that answers 410.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startKeywarden } from '../../src/keywarden.js';
import { createLog } from '../../src/log.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';
import { ids } from '../../src/slack/ids.js';
import { accessTokenFor, addTechnicalUser, call } from '../api/api-client.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, APPROVALS, APPROVER1, APPROVER2, startTestApp, TEAM2, testSeed, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { closedPort, docsVerifier, Receiver } from '../helpers/receiver.js';

const SECRET = 'whsec-test-0123456789abcdef0123456789abcdef';
const clock = new TestClock();
let t: TestApp;
let meshlab: Receiver;
let strictPort: number;
let verify: Awaited<ReturnType<typeof docsVerifier>>;

async function waitFor(check: () => boolean | Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Asks for a role change as ADMIN and has APPROVER1 (and APPROVER2 in strict) approve it; resolves when applied. */
async function roleChange(email: string, role: string, teamId?: string): Promise<string> {
  const sent = await t.command(ADMIN, `role ${email} ${role} because`, '/permission', teamId ? { teamId } : {});
  const reply = await t.answer(sent.responseId);
  const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(short));
  const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  for (const a of teamId ? [APPROVER1, APPROVER2] : [APPROVER1]) await t.click(ids.APPROVE, id, a, teamId ? { teamId } : {});
  await waitFor(async () => (await t.store.requests.findById(id))?.status === 'APPLIED');
  return id;
}

const requestEvents = (r: Receiver, id: string) => r.taken().filter((e) => e.type === 'request' && e.data.request.id === id);

async function metrics(): Promise<string> {
  return (await fetch(`${t.kw.url}/metrics`)).text();
}

beforeAll(async () => {
  verify = await docsVerifier();
  meshlab = await Receiver.start();
  strictPort = await closedPort();
  const seed = testSeed();
  const hook = (url: string) => [{ url, secretEnv: 'KEYWARDEN_WEBHOOK_SECRET_TEST', events: ['history', 'request'] }];
  (seed.workspaces[0] as Record<string, unknown>).webhooks = hook(meshlab.url);
  (seed.workspaces[1] as Record<string, unknown>).webhooks = hook(`http://127.0.0.1:${strictPort}/hook`);
  t = await startTestApp({
    seed, env: { KEYWARDEN_WEBHOOK_SECRET_TEST: SECRET },
    options: { clock, webhooks: { sweepEveryMs: 100, backoffMs: { first: 50, max: 200 }, timeoutMs: 400, lockDurationMs: 2000 } },
  });
});
afterAll(async () => {
  await t?.stop();
  await meshlab?.stop();
});

describe('webhooks', () => {
  it('pushes each request status change and each history line, signed, in order, history as the API serves it', async () => {
    const id = await roleChange('jane.roe@meshlab.de', 'ADMIN');
    await waitFor(() => requestEvents(meshlab, id).length === 3 && meshlab.taken().some((e) => e.type === 'history' && e.data.requestId === id));
    expect(requestEvents(meshlab, id).map((e) => [e.id, e.data.status])).toEqual(
      ['PENDING', 'APPROVED', 'APPLIED'].map((s) => [`request:${id}:${s}`, s]),
    );
    for (const r of meshlab.got) {
      expect(verify(SECRET, r.headers['x-keywarden-signature'], r.raw)).toBe(true);
      expect(verify('another-secret', r.headers['x-keywarden-signature'], r.raw)).toBe(false);
      expect(r.headers['x-keywarden-event-id']).toBe(r.json.id);
    }
    expect(verify(SECRET, meshlab.got[0]!.headers['x-keywarden-signature'], meshlab.got[0]!.raw.replace('}', ' }'))).toBe(false);
    // History lines arrive in seq order, exactly as GET …/history serves them.
    const lines = meshlab.taken().filter((e) => e.type === 'history').map((e) => e.data);
    const seqs = lines.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const admin = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', userName: 'auditor', now: clock.now() });
    const served = await call(t.kw.url!, 'GET', `/services/keywarden/v1/workspaces/${WS_ID}/history?limit=1000`, { bearer: await accessTokenFor(t.kw.url!, admin.token) });
    for (const line of lines) expect(line).toEqual(served.json.data.find((l: any) => l.seq === line.seq));
    expect(t.logs.text).not.toContain(SECRET);
  });

  it('sends an event again after a 500, in its place: nothing after it overtakes it', async () => {
    const fails = Number(/keywarden_webhook_failures_total\{reason="status"\} (\d+)/.exec(await metrics())?.[1] ?? 0);
    const start = meshlab.got.length;
    meshlab.behave = (n) => (n <= start + 2 ? 500 : 200);
    const id = await roleChange('max.muster@meshlab.de', 'MEMBER');
    await waitFor(() => requestEvents(meshlab, id).length === 3);
    const attempts = meshlab.got.slice(start);
    expect(attempts.slice(0, 3).map((r) => r.json.id)).toEqual(Array(3).fill(attempts[0]!.json.id));
    expect(attempts.slice(0, 3).map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(requestEvents(meshlab, id).map((e) => e.data.status)).toEqual(['PENDING', 'APPROVED', 'APPLIED']);
    expect(Number(/keywarden_webhook_failures_total\{reason="status"\} (\d+)/.exec(await metrics())![1])).toBeGreaterThanOrEqual(fails + 2);
    meshlab.behave = () => 200;
  });

  it('a slow receiver holds back only its own hook: the Slack answer and the apply go on meanwhile', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    meshlab.behave = async () => {
      await gate;
      return 200;
    };
    const id = await roleChange('jane.roe@meshlab.de', 'MEMBER');
    // Applied, and told, while the receiver still holds every POST it was sent.
    expect(meshlab.got.length).toBeGreaterThan(0);
    expect(requestEvents(meshlab, id)).toEqual([]);
    release();
    meshlab.behave = () => 200;
    await waitFor(() => requestEvents(meshlab, id).length === 3);
    expect(requestEvents(meshlab, id).map((e) => e.data.status)).toEqual(['PENDING', 'APPROVED', 'APPLIED']);
  });

  it('a receiver that is down: the events wait (backlog), and arrive in order once it is up', async () => {
    const id = await roleChange('jane.roe@meshlab.de', 'ADMIN', TEAM2);
    // Waiting, and tried: the backlog is counted and the refused connections too.
    await waitFor(async () => {
      const m = await metrics();
      return /keywarden_webhook_backlog\{hook="7c3f1a52[^"]*"\} [1-9]/.test(m) && /keywarden_webhook_failures_total\{reason="refused"\} [1-9]/.test(m);
    });
    const strict = await Receiver.start(strictPort);
    try {
      await waitFor(() => requestEvents(strict, id).length === 3);
      expect(requestEvents(strict, id).map((e) => e.data.status)).toEqual(['PENDING', 'APPROVED', 'APPLIED']);
      expect(strict.taken().every((e) => e.workspaceId === WS2_ID)).toBe(true);
      for (const r of strict.got) expect(verify(SECRET, r.headers['x-keywarden-signature'], r.raw)).toBe(true);
    } finally {
      await strict.stop();
    }
  });

  it('410 Gone turns the hook off and tells the notification channels, once', async () => {
    meshlab.behave = () => 410;
    const before = meshlab.got.length;
    await t.command(ADMIN, 'role max.muster@meshlab.de ADMIN because');
    await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes('410 Gone'));
    const after = meshlab.got.length;
    expect(after).toBe(before + 1);
    await roleChange('jane.roe@meshlab.de', 'VIEWER');
    await new Promise((r) => setTimeout(r, 500));
    expect(meshlab.got.length).toBe(after);
    expect(t.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes('410 Gone'))).toHaveLength(1);
  });
});

describe('webhook configuration', () => {
  it('a hook whose secret is missing stops the start, naming the variable', async () => {
    const seed = testSeed();
    (seed.workspaces[0] as Record<string, unknown>).webhooks = [{ url: 'https://siem.example/k', secretEnv: 'KEYWARDEN_WEBHOOK_SECRET_NONE', events: ['history'] }];
    const dir = mkdtempSync(join(tmpdir(), 'keywarden-hooks-'));
    try {
      writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed));
      const config = loadConfig({
        PORT: '0', MONGODB_URI: 'memory', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test-signing-secret', KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET,
        SEED_FILE: join(dir, 'seed.json'), KEYWARDEN_WEBHOOK_SECRET_NONE: '  ',
      });
      await expect(startKeywarden(config, { log: createLog('silent') })).rejects.toThrow('Invalid configuration: KEYWARDEN_WEBHOOK_SECRET_NONE is required');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
