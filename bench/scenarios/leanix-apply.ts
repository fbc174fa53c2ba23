/**
 * Part `leanix`, apply: approved role changes of a connected workspace applied through the
 * product's apply use case (RequestService.apply: PermissionRequests, the LeanIX change target,
 * the mirror's compare-and-set, history) against the fake LeanIX answering every call after 20 ms,
 * as many at once as the apply worker runs (8). Baseline: a bare loop of the same HTTP calls (read
 * the permission, post it back changed, read it back), as many at once, on other people of the
 * same LeanIX, run before and after ours (the mean). Slack is a notifier that does nothing.
 */
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { PermissionService } from '../../src/app/permissions.js';
import type { Notifier } from '../../src/app/ports.js';
import { RequestService } from '../../src/app/requests.js';
import { applySeed, Seed } from '../../src/app/seed.js';
import { LeanixConnections } from '../../src/leanix/connections.js';
import { LeanixTargets } from '../../src/leanix/permission-target.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { FakeLeanix } from '../../test/helpers/fake-leanix.js';

export interface LeanixApplyResult {
  n: number;
  latencyMs: number;
  concurrency: number;
  oursMs: number;
  bareRunsMs: number[];
  /** HTTP calls per change, ours and bare. */
  callsPerChange: { ours: number; bare: number };
  applied: number;
}

const WS = '8e3b2a71-4c5d-4f60-9b1e-2a7c6d5e4f30';
const MTM = '/services/mtm/v1';
const ADMIN = 'UBENCHADMIN';
const APPROVER = 'UBENCHAPPROVER';

export async function runLeanixApply(o: { n: number; latencyMs: number; concurrency: number }): Promise<LeanixApplyResult> {
  const lx = await FakeLeanix.start({ workspaceId: WS });
  try {
    const ours = Array.from({ length: o.n }, (_, i) => `apply-${i}@lx.bench.example`);
    const bare = Array.from({ length: 2 * o.n }, (_, i) => `bare-${i}@lx.bench.example`);
    for (const email of [...ours, ...bare]) lx.data.addPermission({ email, role: 'MEMBER' });
    const log = createLog('silent');
    const clock = { now: () => new Date() };
    const store = createMemoryStore();
    const seed = Seed.parse({
      workspaces: [{
        id: WS, name: 'lxbench', slack: { teamId: 'TLXBENCH', approvalsChannel: 'CLXBENCH' }, admins: [ADMIN], approvers: [APPROVER],
        policy: { requiredApprovals: 1, requestTtlHours: 72 }, users: ours.map((email) => ({ email, role: 'MEMBER', status: 'ACTIVE' })),
        leanix: { baseUrl: lx.url, apiTokenEnv: 'LEANIX_BENCH_TOKEN' },
      }],
    });
    await applySeed(store, seed, log);
    const connections = LeanixConnections.open(seed.workspaces, () => lx.apiToken, { clock, log });
    const notifier = new Proxy({}, { get: () => async () => null }) as Notifier;
    const permissions = new PermissionService(store, clock);
    const requests = new RequestService({
      store, clock, log, notifier, queue: { enqueue: async () => {} },
      handlers: { permission: new PermissionRequests(permissions, new LeanixTargets(connections, { store, clock })) },
    });
    const ws = (await store.workspaces.findById(WS))!;
    const ids: string[] = [];
    for (const email of ours) {
      const r = await requests.submit({ workspace: ws, requester: ADMIN, request: { kind: 'permission.role', params: { email, role: 'ADMIN' } }, reason: null });
      await requests.decide({ requestId: r.id, actor: APPROVER, teamId: 'TLXBENCH', verdict: 'approve' });
      ids.push(r.id);
    }
    // The token exchange and one change each way, untimed, so neither side pays for the first call.
    await connections.get(WS)!.client.getPermissionByEmail(ours[0]!);
    const token = await accessToken(lx);
    lx.latencyMs = o.latencyMs;

    const bareRun = async (emails: string[]) => {
      const calls0 = lx.calls.length;
      const t = performance.now();
      await pool(emails, o.concurrency, (email) => bareChange(lx, token, email));
      return { ms: performance.now() - t, calls: (lx.calls.length - calls0) / emails.length };
    };
    const before = await bareRun(bare.slice(0, o.n));
    const calls0 = lx.calls.length;
    const t0 = performance.now();
    await pool(ids, o.concurrency, (id) => requests.apply(id).then(() => undefined));
    const oursMs = performance.now() - t0;
    const oursCalls = (lx.calls.length - calls0) / o.n;
    const after = await bareRun(bare.slice(o.n));
    let applied = 0;
    for (const id of ids) if ((await store.requests.findById(id))?.status === 'APPLIED') applied++;
    return { n: o.n, latencyMs: o.latencyMs, concurrency: o.concurrency, oursMs, bareRunsMs: [before.ms, after.ms], callsPerChange: { ours: oursCalls, bare: before.calls }, applied };
  } finally {
    await lx.stop();
  }
}

/** The same three calls the change target makes: read by email, post back changed, read back. */
async function bareChange(lx: FakeLeanix, token: string, email: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const read = async () => {
    const res = await fetch(`${lx.url}${MTM}/workspaces/${WS}/permissions?${new URLSearchParams({ email, page: '1', size: '100' })}`, { headers });
    return ((await res.json()) as { data: Array<Record<string, unknown>> }).data[0]!;
  };
  const p = await read();
  const res = await fetch(`${lx.url}${MTM}/permissions`, { method: 'POST', headers, body: JSON.stringify({ ...p, role: 'ADMIN' }) });
  await res.json();
  if ((await read()).role !== 'ADMIN') throw new Error(`bare change of ${email} not shown`);
}

async function accessToken(lx: FakeLeanix): Promise<string> {
  const res = await fetch(`${lx.url}${MTM}/oauth2/token`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(`apitoken:${lx.apiToken}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function pool<T>(items: T[], concurrency: number, run: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

