/**
 * Grant ends, in a Keywarden process of its own (the real one: BullMQ workers, Slack notifier,
 * in-memory or MongoDB store), in two parts:
 *
 * 1. Lateness: N grants whose ends fall in the same minute (spread evenly over it), each end a
 *    delayed job scheduled through the product's timer, one worker (the product's, concurrency
 *    as configured). Every grant must be reverted (role back, grant closed, history line) and
 *    its requester told (the DM reaches the fake Slack). Lateness is how long after its end each
 *    grant was reverted (the end's compare-and-set, from its history line), and how long until
 *    its DM reached Slack. The backstop sweep runs at its product interval meanwhile. Then the
 *    same with all N ending at the same instant: how fast one worker takes a pile-up.
 * 2. The due-grant read (GrantSubjects.listDue, what the backstop sweep reads each run) with 10k,
 *    100k and 1M active grants, 100 of them due: sublinear like the expiry scan. A read takes
 *    well under a millisecond in memory, so each size is read many times and the median counts.
 */
import { ADMIN, APPROVALS, APPROVER, WS_ID } from '../fixture.js';
import { summarize, until, type LatencySummary } from '../harness.js';
import type { BenchServer } from '../servers.js';
import type { FakeSlack } from '../../test/helpers/fake-slack.js';

/** One batch of grants: how many were reverted and told, and how late. */
export interface GrantBatch {
  n: number;
  windowMs: number;
  reverted: number;
  dms: number;
  threadLines: number;
  /** ms after each grant's end: its revert (store), and its DM at Slack. */
  revertLateness: LatencySummary;
  dmLateness: LatencySummary;
  scheduleMs: number;
  /** Ends per second from the first end to the last revert (the worker's pace when it is the limit). */
  perSecond: number;
}

export interface GrantsResult {
  /** N grants ending spread over one minute: the figure. */
  spread: GrantBatch;
  /** N grants ending at the same instant (a pile-up): what one worker can take at once. */
  pileUp: GrantBatch;
  /** Median ms of the due read by number of active grants; p90 alongside. */
  dueReadMs: Record<string, number>;
  dueReadP90Ms: Record<string, number>;
  insertMs: Record<string, number>;
}

const DUE = 100;
const READS = 201;
type Call = FakeSlack['calls'][number];

async function batch(o: { n: number; windowMs: number; leadMs: number; name: string }, server: BenchServer, slack: FakeSlack): Promise<GrantBatch> {
  const { child } = server;
  slack.reset();
  const prepared = await child.call<{ scheduleMs: number; grants: Array<[string, number]> }>('grantsPrepare', {
    n: o.n, name: o.name, workspaceId: WS_ID, requester: ADMIN, approver: APPROVER, channel: APPROVALS, leadMs: o.leadMs, windowMs: o.windowMs, parallel: 32,
  }, o.leadMs + 60_000);
  const ends = new Map(prepared.grants.map(([id, end]) => [id.slice(0, 8), end]));
  const isEndDm = (c: Call) => c.method === 'chat.postMessage' && !c.failed && c.args.channel === ADMIN && String(c.args.text).startsWith(':hourglass:');
  const isThreadLine = (c: Call) => c.method === 'chat.postMessage' && !c.failed && c.args.channel === APPROVALS && !!c.args.thread_ts && String(c.args.text).startsWith(':hourglass:');
  const count = (f: (c: Call) => boolean) => slack.calls.filter(f).length;
  const firstEnd = Math.min(...ends.values());
  const lastEnd = Math.max(...ends.values());
  try {
    await until(() => count(isEndDm) >= o.n, `${o.n} grant-end DMs`, lastEnd - Date.now() + 120_000, 200);
  } catch (err) {
    throw new Error(`${(err as Error).message} (got ${count(isEndDm)})`);
  }
  await new Promise((r) => setTimeout(r, 500)); // let a duplicate show itself
  const dmLate: number[] = [];
  for (const c of slack.calls.filter(isEndDm)) {
    const short = /request ([0-9a-f]{8})/.exec(String(c.args.text))?.[1];
    const end = short && ends.get(short);
    if (end) dmLate.push(c.at - end);
  }
  const verified = await child.call<{ reverted: number; latenessMs: number[]; lastRevertAt: number }>('grantsVerify', {}, 120_000);
  return {
    n: o.n, windowMs: o.windowMs, reverted: verified.reverted, dms: count(isEndDm), threadLines: count(isThreadLine),
    revertLateness: summarize(verified.latenessMs), dmLateness: summarize(dmLate), scheduleMs: prepared.scheduleMs,
    perSecond: o.n / (Math.max(1, verified.lastRevertAt - firstEnd) / 1000),
  };
}

export async function runGrants(o: { n: number; windowMs: number; leadMs: number; dueSizes: number[] }, server: BenchServer, slack: FakeSlack): Promise<GrantsResult> {
  const { child } = server;
  try {
    const spread = await batch({ ...o, name: 'spread' }, server, slack);
    const pileUp = await batch({ ...o, windowMs: 0, name: 'pileup' }, server, slack);
    const dueReadMs: Record<string, number> = {};
    const dueReadP90Ms: Record<string, number> = {};
    const insertMs: Record<string, number> = {};
    for (const size of o.dueSizes) {
      const r = await child.call<{ ms: number; p90: number; insertMs: number; active: number }>('grantsDueRead', { size, due: DUE, workspaceId: WS_ID, reads: READS }, 600_000);
      if (r.active !== size) throw new Error(`expected ${size} active grants, the store has ${r.active}`);
      dueReadMs[size] = r.ms;
      dueReadP90Ms[size] = r.p90;
      insertMs[size] = r.insertMs;
    }
    return { spread, pileUp, dueReadMs, dueReadP90Ms, insertMs };
  } finally {
    await child.stop();
  }
}
