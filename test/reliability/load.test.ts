/**
 * Load, through the real app (signed HTTP requests, Bolt, BullMQ on a private Redis, the fake
 * Slack): many slash commands from concurrent senders, each acked within Slack's 3 seconds and
 * each producing exactly one request; then many concurrent clicks on many requests, each request
 * applied exactly once. Sizes: a quick default, the full numbers with KEYWARDEN_FULL_TESTS=1.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { faultyStore, type FaultyStore } from '../helpers/faulty-store.js';
import { ADMIN, ADMIN2, APPROVALS, APPROVER1, APPROVER2, SIGNING_SECRET, startTestApp, TEAM, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { blockActionBody, slashCommandBody } from '../helpers/slack-requests.js';
import { percentiles, recordFigures, size } from './figures.js';
import { dmsAbout, logLines, waitUntil } from './flow.js';

const COMMANDS = size(200, 1000);
const SENDERS = size(20, 50);
const REQUESTS = size(30, 100);
const CLICKS = size(150, 500);

let t: TestApp;
let f: FaultyStore;
beforeAll(async () => {
  f = faultyStore(createMemoryStore());
  // LOG_LEVEL as in production: the tests' usual debug level logs every Slack call's body.
  t = await startTestApp({ store: f.store, env: { LOG_LEVEL: 'info' } });
});
afterAll(async () => {
  await t?.stop();
});

interface Sent {
  status: number;
  ms: number;
  text: string;
}

/** Sends the bodies from a separate process, `concurrency` at a time; returns each answer and its time. */
function generateLoad(url: string, bodies: string[], concurrency: number): Promise<{ results: Sent[]; totalMs: number }> {
  const child = fork(join(import.meta.dirname, 'fixtures', 'load-generator.mjs'), [], { execArgv: [], stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('message', (m: any) => resolve(m));
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
    child.send({ url, secret: SIGNING_SECRET, bodies, concurrency });
  });
}

/** The ephemeral answer to a request; patient, since the load keeps the app busy. */
const answerOf = async (responseId: string) =>
  String((await t.slack.waitFor('response_url', (c) => c.args.responseId === responseId, 60_000)).args.text ?? '');

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);

/** The i-th command of the load: three kinds of change, every one valid on its own. */
function commandFor(i: number): { command: string; text: string } {
  switch (i % 3) {
    case 0:
      return { command: '/permission', text: `role jane.roe@meshlab.de ADMIN load ${i}` };
    case 1:
      return { command: '/permission', text: `invite load-${i}@meshlab.de VIEWER` };
    default:
      return { command: '/techuser', text: `create load-bot-${i} MEMBER ${inDays(60)} load ${i}` };
  }
}

describe('load', () => {
  it(`${COMMANDS} slash commands from ${SENDERS} concurrent senders: each acked within 3 s, each makes exactly one request`, async () => {
    const inserts = () => f.count('requests', 'insert');
    const before = inserts();
    const postsBefore = t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === APPROVALS).length;
    const sent = Array.from({ length: COMMANDS }, (_, i) => ({ responseId: `load-cmd-${i}`, i }));
    const bodies = sent.map(({ responseId, i }) => {
      const { command, text } = commandFor(i);
      return slashCommandBody({ command, text, userId: i % 2 ? ADMIN : ADMIN2, teamId: TEAM, responseUrl: t.slack.responseUrl(responseId) });
    });
    const started = Date.now();
    const { results } = await generateLoad(t.kw.url!, bodies, SENDERS);
    const sentMs = Date.now() - started;
    for (const r of results) expect(r.status).toBe(200);
    const acks = results.map((r) => r.ms);
    // Every sender is answered, every answer names its own request.
    const shortIds = new Set<string>();
    for (const s of sent) {
      const answer = await answerOf(s.responseId);
      const m = /^Request ([0-9a-f]{8}) .* was sent to <#CAPPROVALS> for approval/.exec(answer);
      expect(m, `${commandFor(s.i).text}: ${answer}`).not.toBeNull();
      shortIds.add(m![1]!);
    }
    const answeredMs = Date.now() - started;
    expect(shortIds.size).toBe(COMMANDS);
    expect(inserts() - before).toBe(COMMANDS);
    const posts = t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === APPROVALS).slice(postsBefore);
    const requestIds = new Set(posts.map((p) => p.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string));
    expect(requestIds.size).toBe(COMMANDS);
    for (const id of requestIds) expect((await t.store.requests.findById(id))?.status).toBe('PENDING');
    // A post retried after its answer timed out (a starved machine) shows up twice at the fake Slack:
    // still one request, and the message Keywarden keeps and rewrites is the one that answered.
    const postedTwice = posts.length - requestIds.size;
    const latency = percentiles(acks);
    expect(latency.max).toBeLessThan(3000);
    recordFigures('load-commands', {
      commands: COMMANDS, senders: SENDERS, ackMs: latency, requestsStored: inserts() - before, approvalMessages: requestIds.size, approvalPostsRetried: postedTwice,
      allSentInMs: sentMs, allAnsweredInMs: answeredMs, commandsPerSecond: Math.round((COMMANDS / sentMs) * 1000),
    });
  }, 300_000);

  it(`${CLICKS} concurrent clicks over ${REQUESTS} requests: each request applied exactly once`, async () => {
    const ws = (await t.store.workspaces.findById(WS_ID))!;
    const requests: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const request = i % 2
        ? { kind: 'permission.invite' as const, params: { email: `click-${i}@meshlab.de`, role: 'MEMBER' as const } }
        : { kind: 'techuser.create' as const, params: { userName: `click-bot-${i}`, role: 'VIEWER' as const, expiry: inDays(90), description: '', customerRoles: [], accessControlEntities: [] } };
      requests.push((await t.kw.requests.submit({ workspace: ws, requester: ADMIN, request, reason: 'load' })).id);
    }
    const approvers = [APPROVER1, APPROVER2, ADMIN2];
    const started = Date.now();
    const responseIds = Array.from({ length: CLICKS }, (_, i) => `load-click-${i}`);
    const bodies = responseIds.map((responseId, i) => blockActionBody({
      actionId: ids.APPROVE, value: requests[i % REQUESTS]!, userId: approvers[i % approvers.length]!, teamId: TEAM, responseUrl: t.slack.responseUrl(responseId), channelId: APPROVALS,
    }));
    // All at once: as many in flight as there are clicks.
    const { results: clicks } = await generateLoad(t.kw.url!, bodies, CLICKS);
    const clickedMs = Date.now() - started;
    for (const c of clicks) expect(c.status).toBe(200);
    const answers = await Promise.all(responseIds.map((id) => answerOf(id)));
    // Per request: exactly one click decided it, the others were told it already was.
    const deciding = answers.filter((a) => /^Approved\./.test(a)).length;
    expect(deciding).toBe(REQUESTS);
    for (const a of answers.filter((x) => !/^Approved\./.test(x))) expect(a).toMatch(/already approved|already applied/);
    await waitUntil(async () => {
      for (const id of requests) if ((await t.store.requests.findById(id))?.status !== 'APPLIED') return false;
      return true;
    }, 'every request is applied', 120_000);
    const appliedMs = Date.now() - started;
    await waitUntil(() => requests.every((id) => dmsAbout(t, ADMIN, id).length > 0), 'every requester is told', 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const applied = logLines(t).filter((l) => l.msg === 'request applied');
    for (const [i, id] of requests.entries()) {
      expect(applied.filter((l) => l.requestId === id), id).toHaveLength(1);
      expect(dmsAbout(t, ADMIN, id), id).toHaveLength(1);
      if (i % 2) {
        const user = await t.store.users.findByEmail(`click-${i}@meshlab.de`);
        const p = (await t.store.permissions.find(WS_ID, user!.id))!;
        expect((await t.store.history.listBySubject('permission', p.id, 10)).filter((h) => h.requestId === id)).toHaveLength(1);
      } else {
        const tu = (await t.store.technicalUsers.findByName(WS_ID, `click-bot-${i}`))!;
        expect(tu.lastRequestId).toBe(id);
        expect((await t.store.history.listBySubject('technicalUser', tu.id, 10)).filter((h) => h.requestId === id)).toHaveLength(1);
        expect(await t.store.tokenReveals.findById(id)).not.toBeNull();
      }
    }
    const latency = percentiles(clicks.map((c) => c.ms));
    expect(latency.max).toBeLessThan(3000);
    recordFigures('load-clicks', {
      clicks: CLICKS, requests: REQUESTS, ackMs: latency, decidingClicks: deciding, appliedOnce: REQUESTS, dmsPerRequest: 1,
      allClickedInMs: clickedMs, allAppliedInMs: appliedMs,
    });
  }, 300_000);
});
