/**
 * Apply throughput: N approved role changes from the queue to APPLIED, with the approval message
 * rewritten and the requester's DM sent (fake Slack on loopback), by the server's one worker.
 * The requests are stored as an approval leaves them; the timed part starts when they are queued
 * through the product's producer (BullApplyQueue) and ends when the last DM arrives at Slack.
 * Baseline: a no-op BullMQ worker, same Redis, same queue options, concurrency and job count,
 * run once before ours and once after.
 */
import { ADMIN, APPROVALS, APPROVER, applyEmail, WS_ID } from '../fixture.js';
import { cpuMs, startChild, until } from '../harness.js';
import { slackCounter, type BenchContext } from './context.js';

export interface ApplyResult {
  n: number; oursMs: number;
  /** The baseline's time: the mean of a run before ours and one after (both in bareRunsMs). */
  bareMs: number; bareRunsMs: number[];
  statuses: Record<string, number>; updates: number;
  /** CPU time per job (ms) of the server process and of the baseline worker process. */
  oursCpuMs: number; bareCpuMs: number;
  /** CPU time per job (ms) of the bench process, which plays Slack (and polls for the DMs). */
  slackCpuMs: number;
}

/** The product's apply worker concurrency (jobs/worker.ts default), given to the baseline too. */
const WORKER_CONCURRENCY = 8;
/** Approvals arriving at once, as from many approvers. */
const PARALLEL_ADDS = 32;

export async function runApply(ctx: BenchContext): Promise<ApplyResult> {
  const n = ctx.sizes.applyCount;
  const emails = Array.from({ length: n }, (_, i) => applyEmail(i));
  await ctx.server.call('applyPrepare', { emails, workspaceId: WS_ID, requester: ADMIN, approver: APPROVER, channel: APPROVALS });
  const bare = await startChild('bare-worker', 'bench/baselines/bare-worker.ts', { logFile: ctx.logFile('bare-worker') });
  try {
    await bare.call('start', { redisUrl: ctx.redisUrl, prefix: `${ctx.queuePrefix}-bare`, concurrency: WORKER_CONCURRENCY });
    // The baseline runs before and after ours (same job count each) and counts as their mean, so
    // a change in the machine's load during the run does not all fall on one side.
    const bareRun = async () => {
      const cpu0 = cpuMs(bare.pid) ?? NaN;
      const t = performance.now();
      await bare.call('run', { n, parallel: PARALLEL_ADDS }, 120_000);
      return { ms: performance.now() - t, cpuMs: ((cpuMs(bare.pid) ?? NaN) - cpu0) / n };
    };
    const before = await bareRun();

    ctx.slack.reset();
    const dms = slackCounter(ctx.slack, (c) => c.method === 'chat.postMessage' && c.args.channel === ADMIN);
    const updates = slackCounter(ctx.slack, (c) => c.method === 'chat.update');
    const cpu0 = cpuMs(ctx.server.pid) ?? NaN;
    const benchCpu0 = process.cpuUsage();
    const t0 = performance.now();
    await ctx.server.call('applyEnqueue', { parallel: PARALLEL_ADDS });
    await until(() => dms() >= n, `${n} requester DMs (got ${dms()})`, 120_000, 5);
    const oursMs = performance.now() - t0;
    const oursCpuMs = ((cpuMs(ctx.server.pid) ?? NaN) - cpu0) / n;
    const bench = process.cpuUsage(benchCpu0);
    const slackCpuMs = (bench.user + bench.system) / 1000 / n;
    const statuses = await ctx.server.call<Record<string, number>>('applyVerify');

    const after = await bareRun();
    return {
      n, oursMs, bareMs: (before.ms + after.ms) / 2, bareRunsMs: [before.ms, after.ms], statuses, updates: updates(),
      oursCpuMs, bareCpuMs: (before.cpuMs + after.cpuMs) / 2, slackCpuMs,
    };
  } finally {
    await bare.stop();
  }
}
