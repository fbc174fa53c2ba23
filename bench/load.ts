/**
 * The load generator, in its own process so it never shares an event loop with the server it
 * measures. node:http with keep-alive agents; two modes:
 *
 * - `rate`: open loop. Request i is sent at start + i/rate whatever happened to the ones before
 *   (a slow server gets more concurrent requests, as it would from Slack). Latency is from the
 *   moment the request was written to the end of the response.
 * - `closed`: `concurrency` loops, each sending its next request when the last one answered.
 *
 * The first `warmupMs` are sent but not counted (JIT, connection setup).
 */
import { Agent, request } from 'node:http';
import { serve, summarize, type LatencySummary } from './harness.js';
import { sign, slashCommandBody } from '../test/helpers/slack-requests.js';

/** What to send: a signed slash command, or a token exchange with one of `tokens`. */
export type RequestSpec =
  | { kind: 'slash'; secret: string; command: string; texts: string[]; userId: string; teamId: string; responseUrl: string }
  | { kind: 'token'; path: string; tokens: string[] };

export interface LoadResult {
  latency: LatencySummary;
  /** Completed requests per second within the measured window. */
  perSecond: number;
  /** Answers other than 200, and requests that failed outright, by status (or 'error'). */
  failures: Record<string, number>;
  /** Open loop only: how late the generator itself sent, p99 (ms); large means the harness fell behind. */
  sendLagP99?: number;
  /** Every measured latency (ms), so slices can be pooled; and how many requests were sent in all. */
  latencies?: number[];
  sent?: number;
}

interface Prepared { path: string; headers: Record<string, string | number>; body: string }

function prepare(spec: RequestSpec, i: number): Prepared {
  if (spec.kind === 'slash') {
    const body = slashCommandBody({
      command: spec.command, text: spec.texts[i % spec.texts.length]!, userId: spec.userId, teamId: spec.teamId,
      responseUrl: spec.responseUrl,
    });
    return {
      path: '/slack/events',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...sign(spec.secret, body) },
      body,
    };
  }
  const token = spec.tokens[i % spec.tokens.length]!;
  const body = 'grant_type=client_credentials';
  return {
    path: spec.path,
    headers: {
      authorization: `Basic ${Buffer.from(`apitoken:${token}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': body.length,
    },
    body,
  };
}

/** Sends one request; resolves with its status (0 for a failed request) once the answer is read. */
function send(agent: Agent, base: URL, p: Prepared): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ agent, host: base.hostname, port: base.port, method: 'POST', path: p.path, headers: p.headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(p.body);
  });
}

function count(failures: Record<string, number>, status: number): void {
  if (status === 200) return;
  const key = status === 0 ? 'error' : String(status);
  failures[key] = (failures[key] ?? 0) + 1;
}

async function openLoop(a: { url: string; rate: number; durationMs: number; warmupMs: number; spec: RequestSpec }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const base = new URL(a.url);
  const period = 1000 / a.rate;
  const total = Math.round((a.rate * (a.warmupMs + a.durationMs)) / 1000);
  const warmup = Math.round((a.rate * a.warmupMs) / 1000);
  const latencies: number[] = [];
  const lags: number[] = [];
  const failures: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  await new Promise<void>((done) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + i * period <= now) {
        const intended = t0 + i * period;
        const measured = i >= warmup;
        const p = prepare(a.spec, i);
        const started = performance.now();
        if (measured) lags.push(started - intended);
        inFlight.push(
          send(agent, base, p).then((status) => {
            if (!measured) return;
            count(failures, status);
            if (status === 200) latencies.push(performance.now() - started);
          }),
        );
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, t0 + i * period - performance.now()));
      else done();
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  return {
    latency: summarize(latencies), perSecond: latencies.length / (a.durationMs / 1000), failures, sendLagP99: summarize(lags).p99,
    latencies, sent: total,
  };
}

async function closedLoop(a: { url: string; concurrency: number; durationMs: number; warmupMs: number; spec: RequestSpec }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: a.concurrency });
  const base = new URL(a.url);
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const t0 = performance.now();
  const windowStart = t0 + a.warmupMs;
  const windowEnd = windowStart + a.durationMs;
  let i = 0;
  const loop = async () => {
    while (performance.now() < windowEnd) {
      const p = prepare(a.spec, i++);
      const started = performance.now();
      const status = await send(agent, base, p);
      const ended = performance.now();
      // Counted when it both started and ended inside the window.
      if (started < windowStart || ended > windowEnd) continue;
      count(failures, status);
      if (status === 200) latencies.push(ended - started);
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, loop));
  agent.destroy();
  return { latency: summarize(latencies), perSecond: latencies.length / (a.durationMs / 1000), failures, latencies, sent: i };
}

serve({ openLoop, closedLoop });
