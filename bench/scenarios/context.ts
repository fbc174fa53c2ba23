import { readFileSync } from 'node:fs';
import type { FakeSlack } from '../../test/helpers/fake-slack.js';
import type { Child } from '../harness.js';

/** What every scenario gets: the sizes for this run, the shared Redis and fake Slack, and the server. */
export interface BenchContext {
  quick: boolean;
  redisUrl: string;
  slack: FakeSlack;
  server: Child;
  serverUrl: string;
  queuePrefix: string;
  sizes: {
    ackRate: number;
    ackDurationMs: number;
    ackWarmupMs: number;
    /** The measured time is cut into this many slices per side, alternating ours and the baseline. */
    ackSlices: number;
    applyCount: number;
    exchangeDurationMs: number;
    exchangeWarmupMs: number;
    exchangeConcurrency: number;
    exchangeUsers: number;
    /** As for the acks: slices per side, alternating. */
    exchangeSlices: number;
    scanSizes: number[];
    /** Grants ending within `windowMs`, the first `leadMs` after they are prepared; the due read at `dueSizes` active grants. */
    grants: { n: number; windowMs: number; leadMs: number; dueSizes: number[] };
  };
  /** Where children write their logs. */
  logFile(name: string): string;
}

/** Counts recorded fake-Slack calls incrementally (the call list only grows until reset). */
export function slackCounter(slack: FakeSlack, match: (c: FakeSlack['calls'][number]) => boolean): () => number {
  let seen = 0;
  let n = 0;
  return () => {
    if (slack.calls.length < seen) seen = n = 0; // reset() in between
    for (; seen < slack.calls.length; seen++) if (match(slack.calls[seen]!)) n++;
    return n;
  };
}

/** Whether each of `n` requests was applied exactly once, by the server's log lines (`request applied`). */
export function appliedOnce(logFile: string, n: number): boolean {
  const perRequest = new Map<string, number>();
  for (const l of readFileSync(logFile, 'utf8').split('\n')) {
    if (!l.includes('"msg":"request applied"')) continue;
    const id = (JSON.parse(l) as { requestId: string }).requestId;
    perRequest.set(id, (perRequest.get(id) ?? 0) + 1);
  }
  return perRequest.size === n && [...perRequest.values()].every((k) => k === 1);
}
