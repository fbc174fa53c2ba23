/**
 * Part `leanix`: the mirror sync of a connected workspace, against the fake LeanIX on loopback
 * answering every call after 20 ms (as a real LeanIX over the internet might), with 10,000
 * permissions and 1,000 technical users. Ours: a full sync (LeanixSync through LeanixClient, the
 * in-memory store behind a write counter): the first one, which takes everything in, and the
 * later ones, which find nothing changed. Baseline: a bare loop of the same HTTP calls (one access
 * token, then every page of 100 until the total, parsed, nothing compared or kept). The two
 * alternate, bare first and last, so a change in the machine's load does not fall on one side;
 * figures are medians. A sync that finds nothing changed must write nothing: its store writes are
 * counted. Runs in the bench process (the fake LeanIX too, for both sides alike).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LeanixClient } from '../../src/leanix/client.js';
import { Drift } from '../../src/leanix/drift.js';
import { LeanixSync, type SyncTarget } from '../../src/leanix/sync.js';
import { RedisSyncState } from '../../src/leanix/sync-state.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import type { Notifier } from '../../src/app/ports.js';
import { countingStore } from '../../test/helpers/counting-store.js';
import { FakeLeanix } from '../../test/helpers/fake-leanix.js';
import { WS_ID } from '../fixture.js';

export interface LeanixResult {
  permissions: number;
  technicalUsers: number;
  latencyMs: number;
  /** HTTP calls of one full read, ours and bare (they should be the same). */
  calls: { ours: number; bare: number };
  bareMs: number[];
  firstSyncMs: number;
  syncMs: number[];
  /** Store writes of the first sync (everything taken in) and of the syncs that found nothing changed. */
  firstWrites: number;
  unchangedWrites: number[];
}

const MTM = '/services/mtm/v1';

export async function runLeanix(o: { redisUrl: string; permissions: number; technicalUsers: number; rounds: number; latencyMs: number }): Promise<LeanixResult> {
  const lx = await FakeLeanix.start({ workspaceId: WS_ID });
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  try {
    for (let i = 0; i < o.permissions; i++) lx.data.addPermission({ email: `lx-${i}@bench.example`, role: i % 10 === 0 ? 'ADMIN' : 'MEMBER', firstName: 'Bench' });
    for (let i = 0; i < o.technicalUsers; i++) lx.data.addTechnicalUser({ userName: `bench-bot-${i}`, role: i % 10 === 0 ? 'ADMIN' : 'VIEWER' });
    lx.latencyMs = o.latencyMs;

    const store = countingStore(createMemoryStore());
    const workspace = {
      id: WS_ID, name: 'bench', slack: { teamId: 'TBENCH', approvalsChannel: 'CBENCH', notificationChannels: [] }, admins: [], approvers: [],
      policy: { requiredApprovals: 1, requestTtlHours: 72, expiryWarningDays: [30, 7, 1, 0] },
    };
    await store.workspaces.upsert(workspace);
    const log = createLog('silent');
    const clock = { now: () => new Date() };
    const state = new RedisSyncState(redis, `bench-leanix-${randomUUID().slice(0, 8)}`);
    // Nothing is told in this part (no drift), so the notifier is never called.
    const notifier = new Proxy({}, { get: () => async () => undefined }) as Notifier;
    const sync = new LeanixSync({ store, clock, log, state, drift: new Drift({ store, notifier, clock, log, state }) });
    const client = new LeanixClient({ baseUrl: lx.url, workspaceId: WS_ID, apiToken: lx.apiToken, clock });
    const target: SyncTarget = { workspace, syncSeconds: 300, reader: { permissions: () => client.listPermissions(), technicalUsers: () => client.listTechnicalUsers() } };

    const bare = bareReader(lx);
    const counted = async (what: () => Promise<unknown>) => {
      const calls0 = lx.calls.length;
      const t = performance.now();
      await what();
      return { ms: performance.now() - t, calls: lx.calls.length - calls0 };
    };
    const bareMs: number[] = [];
    const syncMs: number[] = [];
    const unchangedWrites: number[] = [];
    let bareCalls = 0;
    const bareRound = async () => {
      const r = await counted(() => bare.readAll());
      bareMs.push(r.ms);
      bareCalls = r.calls;
    };
    await bareRound();
    store.resetWrites();
    const first = await counted(() => sync.sync(target));
    const firstWrites = store.writes();
    let ourCalls = first.calls;
    for (let i = 0; i < o.rounds; i++) {
      await bareRound();
      store.resetWrites();
      const r = await counted(() => sync.sync(target));
      syncMs.push(r.ms);
      unchangedWrites.push(store.writes());
      ourCalls = r.calls;
    }
    await bareRound();
    return {
      permissions: o.permissions, technicalUsers: o.technicalUsers, latencyMs: o.latencyMs, calls: { ours: ourCalls, bare: bareCalls },
      bareMs, firstSyncMs: first.ms, syncMs, firstWrites, unchangedWrites,
    };
  } finally {
    redis.disconnect();
    await lx.stop();
  }
}

/** The baseline: the same HTTP calls by hand, each answer parsed, nothing else. One access token, as the client keeps one. */
function bareReader(lx: FakeLeanix) {
  let token: string | null = null;
  const get = async (path: string, query: Record<string, string>) => {
    const res = await fetch(`${lx.url}${path}?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as { total: number; data: unknown[] };
  };
  const paged = async (path: string, query: Record<string, string>) => {
    for (let page = 1, seen = 0; ; page++) {
      const body = await get(path, { ...query, page: String(page), size: '100' });
      seen += body.data.length;
      if (body.data.length === 0 || seen >= body.total) return;
    }
  };
  return {
    async readAll() {
      if (!token) {
        const res = await fetch(`${lx.url}${MTM}/oauth2/token`, {
          method: 'POST', headers: { authorization: `Basic ${Buffer.from(`apitoken:${lx.apiToken}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        token = ((await res.json()) as { access_token: string }).access_token;
      }
      await paged(`${MTM}/workspaces/${WS_ID}/permissions`, {});
      await paged(`${MTM}/technicalusers`, { workspaceId: WS_ID });
    },
  };
}
