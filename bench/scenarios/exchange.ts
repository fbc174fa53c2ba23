/**
 * Token exchange: POST /services/mtm/v1/oauth2/token at a fixed concurrency (closed loop) with the
 * valid API tokens of a few hundred technical users. Baseline: a bare node:http server that signs
 * the same ES256 JWT with jose. As for the acks, the measured time alternates between the two in
 * slices, so noise from elsewhere on the machine falls on both.
 */
import { WS_ID } from '../fixture.js';
import { cpuMs, startChild, summarize, type LatencySummary } from '../harness.js';
import type { LoadResult, RequestSpec } from '../load.js';
import type { BenchContext } from './context.js';

const TOKEN_PATH = '/services/mtm/v1/oauth2/token';

export interface ExchangeSide {
  perSecond: number;
  latency: LatencySummary;
  failures: Record<string, number>;
  /** CPU time per exchange (ms) of the process answering them. */
  cpuMs: number;
}
export interface ExchangeResult { ours: ExchangeSide; bare: ExchangeSide; slices: number }

type Slice = LoadResult & { cpuMs: number };

export async function runExchange(ctx: BenchContext): Promise<ExchangeResult> {
  const { exchangeDurationMs, exchangeWarmupMs: warmupMs, exchangeConcurrency: concurrency, exchangeUsers, exchangeSlices: slices } = ctx.sizes;
  const sliceMs = exchangeDurationMs / slices;
  const tokens = await ctx.server.call<string[]>('techUsers', { n: exchangeUsers, workspaceId: WS_ID });
  const spec: RequestSpec = { kind: 'token', path: TOKEN_PATH, tokens };
  const load = await startChild('load', 'bench/load.ts', { logFile: ctx.logFile('load') });
  const bareJwt = await startChild('bare-jwt', 'bench/baselines/bare-jwt.ts', { logFile: ctx.logFile('bare-jwt') });
  try {
    const { url: bareUrl } = await bareJwt.call<{ url: string }>('start', { tokens, path: TOKEN_PATH });
    const slice = async (url: string, durationMs: number, warmup: number): Promise<Slice> => {
      const pid = url === ctx.serverUrl ? ctx.server.pid : bareJwt.pid;
      const cpu0 = cpuMs(pid) ?? NaN;
      const r = await load.call<LoadResult>('closedLoop', { url, concurrency, durationMs, warmupMs: warmup, spec }, durationMs + warmup + 30_000);
      return { ...r, cpuMs: (cpuMs(pid) ?? NaN) - cpu0 };
    };
    const ours: Slice[] = [];
    const bare: Slice[] = [];
    for (let i = 0; i < slices; i++) {
      // Each slice starts with a short unmeasured run, so connections are up before counting.
      ours.push(await slice(ctx.serverUrl, sliceMs, i === 0 ? warmupMs : 200));
      bare.push(await slice(bareUrl, sliceMs, i === 0 ? warmupMs : 200));
    }
    return { ours: pool(ours, sliceMs), bare: pool(bare, sliceMs), slices };
  } finally {
    await Promise.all([bareJwt.stop(), load.stop()]);
  }
}

function pool(results: Slice[], sliceMs: number): ExchangeSide {
  const failures: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
  const ok = results.reduce((t, r) => t + r.latency.count, 0);
  return {
    perSecond: ok / ((results.length * sliceMs) / 1000),
    latency: summarize(results.flatMap((r) => r.latencies ?? [])),
    failures,
    cpuMs: results.reduce((t, r) => t + r.cpuMs, 0) / results.reduce((t, r) => t + (r.sent ?? 0), 0),
  };
}
