/**
 * `npx tsx bench/webhook-note-cost.ts`: what the webhooks cost on the apply path. An apply makes
 * a request's compare-and-set and appends its history line; with webhooks each is noted in Redis
 * (webhooks/noting-store.ts), without being waited for. Measured here: those two store writes,
 * bare, noted, and in a workspace without hooks (a private redis-server, the in-memory store), in alternating rounds so all
 * see the same machine; prints the ratio and the CPU time per noted write.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Store } from '../src/app/ports.js';
import { createLog } from '../src/log.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { WebhookEventLog } from '../src/webhooks/event-log.js';
import { notingStore } from '../src/webhooks/noting-store.js';
import { request } from '../test/store/contract.js';
import { startRedis } from '../test/helpers/redis.js';

const N = 5000;
const ROUNDS = 6;

async function writes(store: Store, ws: string): Promise<number> {
  const rs = Array.from({ length: N }, () => request({ workspaceId: ws, status: 'APPROVED' }));
  for (const r of rs) await store.requests.insert(r);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (const r of rs) {
    await store.requests.update(r.id, { status: 'APPROVED', version: r.version }, { status: 'APPLIED', outcome: 'done', appliedAt: new Date() });
    await store.history.append({
      id: r.id, workspaceId: ws, subject: { type: 'permission', id: 'p', label: 'x@y.z' }, action: 'permission.updated',
      actor: { type: 'slack', id: 'U1' }, requestId: r.id, approvers: [], before: null, after: null, at: new Date(),
    });
  }
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return Math.max(ms, (used.user + used.system) / 1000);
}

const redis = await startRedis();
const conn = new Redis(redis.url);
const log = createLog('silent');
const events = new WebhookEventLog(conn, `bench-${randomUUID().slice(0, 6)}`);
const bare: number[] = [];
const noted: number[] = [];
const unhooked: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await writes(createMemoryStore(), randomUUID()));
    noted.push(await writes(notingStore(createMemoryStore(), () => events, log, () => new Date()), randomUUID()));
    // A workspace without webhooks: the wrapper is there, nothing is noted.
    unhooked.push(await writes(notingStore(createMemoryStore(), () => null, log, () => new Date()), randomUUID()));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const b = median(bare);
  const n = median(noted);
  const u = median(unhooked);
  console.log(JSON.stringify({
    writesPerRound: 2 * N, bareMs: Math.round(b), notedMs: Math.round(n), ratio: Math.round((n / b) * 100) / 100,
    withoutHooksMs: Math.round(u), withoutHooksRatio: Math.round((u / b) * 100) / 100,
    extraMicrosPerWrite: Math.round(((n - b) * 1000) / (2 * N)),
  }));
} finally {
  conn.disconnect();
  await redis.stop();
}
