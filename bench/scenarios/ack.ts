/**
 * Ack latency: signed `/permission role ...` commands at a fixed rate, open loop, from the load
 * process; p50/p99 until the HTTP 200. Each command is a real request (checked, stored, posted
 * for approval, answered on its response_url). Baseline: a Bolt app that only acks.
 *
 * The machine is noisy, so the measured time is cut into slices that alternate between Keywarden
 * and the baseline (ours, bare, ours, bare, ...), and each side's latencies are pooled: a burst of
 * noise then hits both sides rather than one. After each slice of ours we wait until every
 * command has been answered on its response_url, so the work behind the acks is finished (and
 * shown to have happened) before the baseline's slice starts.
 */
import { ackEmail, ADMIN, SIGNING_SECRET, TEAM } from '../fixture.js';
import { cpuMs, startChild, summarize, until, type LatencySummary } from '../harness.js';
import type { LoadResult, RequestSpec } from '../load.js';
import { slackCounter, type BenchContext } from './context.js';

export interface AckSide { latency: LatencySummary; failures: Record<string, number>; sendLagP99: number; cpuMsPerCommand: number }
export interface AckResult {
  ours: AckSide; bare: AckSide; answered: number; sent: number; slices: number;
  /** Slack Web API calls (and response_url posts) the server made for the commands, by method. */
  slackCalls: Record<string, number>;
}

export async function runAck(ctx: BenchContext, ackUsers: number): Promise<AckResult> {
  const { ackRate: rate, ackDurationMs, ackWarmupMs: warmupMs, ackSlices: slices } = ctx.sizes;
  const sliceMs = ackDurationMs / slices;
  const spec: RequestSpec = {
    kind: 'slash', secret: SIGNING_SECRET, command: '/permission', userId: ADMIN, teamId: TEAM,
    texts: Array.from({ length: ackUsers }, (_, i) => `role ${ackEmail(i)} ADMIN bench`),
    responseUrl: ctx.slack.responseUrl('bench-ack'),
  };
  ctx.slack.reset();
  const answers = slackCounter(ctx.slack, (c) => c.method === 'response_url' && c.args.responseId === 'bench-ack');
  let sent = 0;
  const load = await startChild('load', 'bench/load.ts', { logFile: ctx.logFile('load') });
  const bareBolt = await startChild('bare-bolt', 'bench/baselines/bare-bolt.ts', { logFile: ctx.logFile('bare-bolt') });
  try {
    const { url: bareUrl } = await bareBolt.call<{ url: string }>('start', { signingSecret: SIGNING_SECRET, apiUrl: ctx.slack.apiUrl });
    const ours: Slice[] = [];
    const bare: Slice[] = [];
    const slice = async (url: string, durationMs: number): Promise<Slice> => {
      const pid = url === ctx.serverUrl ? ctx.server.pid : bareBolt.pid;
      const cpu0 = cpuMs(pid) ?? NaN;
      const r = await load.call<LoadResult>('openLoop', { url, rate, durationMs, warmupMs: 0, spec }, durationMs + 60_000);
      if (url === ctx.serverUrl) {
        sent += r.sent ?? 0;
        // Every command answered on its response_url: the work behind the acks is finished.
        await until(() => answers() >= sent, `${sent} answers to /permission role (got ${answers()})`, 30_000, 20);
      }
      return { ...r, cpuMs: (cpuMs(pid) ?? NaN) - cpu0 };
    };
    // Warm-up: both sides, not counted.
    await slice(ctx.serverUrl, warmupMs);
    await slice(bareUrl, warmupMs);
    for (let i = 0; i < slices; i++) {
      ours.push(await slice(ctx.serverUrl, sliceMs));
      bare.push(await slice(bareUrl, sliceMs));
    }
    const slackCalls: Record<string, number> = {};
    for (const c of ctx.slack.calls) slackCalls[c.method] = (slackCalls[c.method] ?? 0) + 1;
    return { ours: pool(ours), bare: pool(bare), answered: answers(), sent, slices, slackCalls };
  } finally {
    await Promise.all([bareBolt.stop(), load.stop()]);
  }
}

/** One slice's answers, and the CPU time its server process used meanwhile (ms). */
type Slice = LoadResult & { cpuMs: number };

function pool(results: Slice[]): AckSide {
  const failures: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
  return {
    latency: summarize(results.flatMap((r) => r.latencies ?? [])),
    failures,
    sendLagP99: Math.max(...results.map((r) => r.sendLagP99 ?? 0)),
    cpuMsPerCommand: results.reduce((t, r) => t + r.cpuMs, 0) / results.reduce((t, r) => t + (r.sent ?? 0), 0),
  };
}
