/**
 * The server under test: the real Keywarden (startKeywarden: Bolt app, HTTP API, BullMQ workers),
 * in its own process, with a control channel (IPC) through which the bench puts data straight
 * into its store and starts the timed parts that have no HTTP entry point (queueing approved
 * requests, one expiry scan). ROLE=all: web and the one worker in this process, which the
 * in-memory store requires (it is not shared between processes).
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { MongoClient } from 'mongodb';
import type { Store } from '../src/app/ports.js';
import { loadConfig } from '../src/config.js';
import { firstWarningAt } from '../src/domain/expiry-warnings.js';
import type { ChangeRequest, RequestStatus } from '../src/domain/request.js';
import type { TechnicalUser } from '../src/domain/technical-user.js';
import { startKeywarden, type Keywarden } from '../src/keywarden.js';
import { BullApplyQueue, createApplyQueue } from '../src/queue/apply-queue.js';
import { redisConnection } from '../src/queue/connection.js';
import { MAINTENANCE_QUEUE } from '../src/queue/names.js';
import { COLLECTIONS, toDoc } from '../src/store/mongodb/documents.js';
import { createMongoStore } from '../src/store/index.js';
import { addTechnicalUser } from '../test/api/api-client.js';
import { UNLIMITED_LANES } from '../src/slack/outbound/lanes.js';
import { serve } from './harness.js';
import { grantHandlers } from './server-grants.js';

const DAY = 86_400_000;
/** jobs/maintenance.ts: sweep-approved, post-unposted, remind-approvers, expire-requests, revoke-unrevealed, end-grants, review-owners, scan-expiry. */
const maintenanceJobCount = 8;

let kw: Keywarden | null = null;
let mongo: { client: MongoClient; db: string } | null = null;
let redisUrl = '';
let prefix = '';
let prepared: string[] = [];
let scanUsers = 0;

interface StartArgs {
  env: Record<string, string>;
  queuePrefix: string;
  /** MongoDB only: the throw-away database this run uses (dropped at stop). */
  mongoDb?: string;
  /** The periodic maintenance jobs' interval (ms); product default when absent. */
  sweepEveryMs?: number;
  /**
   * Pace Slack calls at Slack's published limits (the product's default), for the part whose fake
   * Slack enforces them; the other parts' fake Slack has none, and neither does the server then.
   */
  slackLimits?: boolean;
}

async function start(a: StartArgs) {
  const config = loadConfig(a.env);
  redisUrl = config.REDIS_URL;
  prefix = a.queuePrefix;
  let store: Store | undefined;
  if (config.MONGODB_URI !== 'memory') {
    if (!a.mongoDb) throw new Error('the bench runs against a throw-away database; give mongoDb');
    store = await createMongoStore(config.MONGODB_URI, { dbName: a.mongoDb });
    mongo = { client: await new MongoClient(config.MONGODB_URI).connect(), db: a.mongoDb };
  }
  kw = await startKeywarden(config, { queuePrefix: prefix, store, sweepEveryMs: a.sweepEveryMs, ...(!a.slackLimits && { slackLanes: UNLIMITED_LANES }) });
  return { url: kw.url, store: kw.store.kind };
}

const running = () => {
  if (!kw) throw new Error('not started');
  return kw;
};

/** N approved role changes, stored as RequestService.decide leaves them (approved, message posted). */
async function applyPrepare(a: { emails: string[]; workspaceId: string; requester: string; approver: string; channel: string }) {
  const { store } = running();
  const now = new Date();
  prepared = [];
  for (const [i, email] of a.emails.entries()) {
    const r = {
      id: randomUUID(), workspaceId: a.workspaceId, kind: 'permission.role', params: { email, role: 'ADMIN' },
      requester: a.requester, reason: 'bench', status: 'APPROVED', approvals: [{ by: a.approver, at: now }],
      decidedBy: a.approver, decidedAt: now, createdAt: now, expiresAt: new Date(now.getTime() + 3 * DAY),
      slack: { channel: a.channel, ts: `1600000000.${String(i).padStart(6, '0')}` }, outcome: null, appliedAt: null,
      notifiedAt: null, version: 1,
    } satisfies ChangeRequest;
    await store.requests.insert(r);
    prepared.push(r.id);
  }
  return prepared.length;
}

/** The timed part: queue every prepared request through the product's producer, as approvals do. */
async function applyEnqueue(a: { parallel: number }) {
  const producer = redisConnection(redisUrl, 'producer');
  const queue = createApplyQueue(producer, prefix);
  try {
    const apply = new BullApplyQueue(queue);
    let next = 0;
    const lane = async () => {
      while (next < prepared.length) await apply.enqueue(prepared[next++]!);
    };
    await Promise.all(Array.from({ length: a.parallel }, lane));
  } finally {
    await queue.close();
    producer.disconnect();
  }
  return prepared.length;
}

/** How the prepared requests ended, by status (all APPLIED is the only good answer). */
async function applyVerify() {
  const { store } = running();
  const by: Partial<Record<RequestStatus | 'missing', number>> = {};
  for (const id of prepared) {
    const s = (await store.requests.findById(id))?.status ?? 'missing';
    by[s] = (by[s] ?? 0) + 1;
  }
  return by;
}

/** Technical users with working API tokens, as an integration would hold them. */
async function techUsers(a: { n: number; workspaceId: string }) {
  const { store } = running();
  const tokens: string[] = [];
  for (let i = 0; i < a.n; i++) {
    tokens.push((await addTechnicalUser(store, { workspaceId: a.workspaceId, role: 'VIEWER', now: new Date(), userName: `bench-api-${i}` })).token);
  }
  return tokens;
}

/** A stored technical user with a token (hash only), its first expiry warning scheduled as the product does. */
function scanUser(i: number, workspaceId: string, thresholds: number[], now: number, nearExpiry: boolean): TechnicalUser {
  // Any unique 64 hex digits: these tokens are never exchanged, and a real SHA-256 per record
  // would double the time it takes to fill the store with a million of them.
  const hash = i.toString(16).padStart(64, '0');
  // Near: expires in 2-5 days, so its 30- and 7-day warnings are due. Far: 60-400 days away.
  const expiresAt = new Date(nearExpiry ? now + 2 * DAY + (i % 72) * 3600_000 : now + 60 * DAY + (i % 340) * DAY + (i % 24) * 3600_000);
  return {
    id: randomUUID(), workspaceId, userName: `scan-${i}`, description: 'bench', role: 'VIEWER', customerRoles: [], accessControlEntities: [],
    token: {
      hash, lastFour: hash.slice(-4), createdAt: new Date(now), expiresAt, revealBy: null, revokedAt: null,
      nextWarningAt: firstWarningAt(expiresAt, thresholds), lastWarnedDays: null,
    },
    createdAt: new Date(now), version: 1, lastRequestId: null,
  };
}

/**
 * Grows the store to `size` technical users, `due` of the new ones near expiry (the ones earlier
 * rounds warned are no longer due), then times one ExpiryService.scanTokens().
 */
async function scan(a: { size: number; due: number; workspaceId: string }) {
  const k = running();
  const ws = await k.store.workspaces.findById(a.workspaceId);
  if (!ws) throw new Error(`no workspace ${a.workspaceId}`);
  if (scanUsers === 0) await maintenanceSettled();
  const now = Date.now();
  const add = a.size - scanUsers;
  if (add < a.due) throw new Error(`scan sizes must grow by at least ${a.due}`);
  const insertStarted = performance.now();
  const batch: TechnicalUser[] = [];
  for (let j = 0; j < add; j++) {
    const i = scanUsers + j;
    batch.push(scanUser(i, ws.id, ws.policy.expiryWarningDays, now, j >= add - a.due));
    if (batch.length === 10_000 || j === add - 1) {
      if (mongo) {
        await mongo.client.db(mongo.db).collection(COLLECTIONS.technicalUsers).insertMany(batch.map((t) => toDoc(t) as any), { ordered: false });
      } else {
        for (const t of batch) await k.store.technicalUsers.insert(t);
      }
      batch.length = 0;
      // Let the event loop run between batches: the in-memory inserts never wait on I/O, and a loop
      // held for tens of seconds would leave pooled sockets (to Slack, Redis) stale behind it.
      await new Promise((r) => setImmediate(r));
    }
  }
  scanUsers = a.size;
  const insertMs = performance.now() - insertStarted;
  // Settle after the bulk insert (in service tokens are not added a million at a time): collect
  // its garbage, then give V8's concurrent sweeping a second, so the scan does not pay for either.
  if (add > 1_000) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 1000));
  }
  const t0 = performance.now();
  const posted = await k.expiry.scanTokens();
  const ms = performance.now() - t0;
  return { ms, posted, insertMs };
}

/**
 * The maintenance jobs (the scheduled expiry scan among them) run once as soon as the workers
 * start; wait for that, so it cannot claim warnings meant for the timed scan. The next runs are
 * an interval away (the bench sets them long).
 */
async function maintenanceSettled() {
  const connection = redisConnection(redisUrl, 'worker');
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'prioritized');
      if (c.completed! + c.failed! >= maintenanceJobCount && c.active! + c.waiting! + c.prioritized! === 0) return;
      if (Date.now() > deadline) throw new Error(`the maintenance jobs did not settle: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

function rss() {
  return { maxRssMb: process.resourceUsage().maxRSS / 1024, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 };
}

async function stop() {
  await kw?.stop();
  kw = null;
  if (mongo) {
    await mongo.client.db(mongo.db).dropDatabase();
    await mongo.client.close();
  }
}

serve({ start, applyPrepare, applyEnqueue, applyVerify, techUsers, scan, rss, stop, ...grantHandlers(running) });
