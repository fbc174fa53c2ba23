/**
 * How fast each outbound lane may call Slack, and each process's gate in front of it.
 *
 * Slack's limits (https://api.slack.com/apis/rate-limits): chat.postMessage about one message a
 * second per channel after a short burst; chat.update Tier 3 (50+ a minute); views.publish Tier 4
 * (100+ a minute). The queued part of a lane is paced by BullMQ's rate limiter (one job per
 * `intervalMs`, shared by every worker process through Redis), and a 429 pauses the whole lane for
 * its Retry-After (`Queue.rateLimit`). BullMQ's open-source limiter is per queue, not per channel
 * (per-key limits are BullMQ Pro's groups), so chat.postMessage is paced at one a second across
 * all channels: never over Slack's limit, slower only when many channels are written at once.
 */
import type { Lane } from './messages.js';

export interface LaneLimit {
  /** Calls sent at once before pacing starts. */
  burst: number;
  /** Then one call per this many ms. */
  intervalMs: number;
}

/** `null`: no pacing (a Slack without limits, as the benchmarks' fake). */
export type LaneLimits = Record<Lane, LaneLimit | null>;

/** A little under Slack's rates: a call that reaches Slack a few ms early costs a 429 and its pause. */
export const SLACK_LANE_LIMITS: LaneLimits = {
  'chat.postMessage': { burst: 3, intervalMs: 1020 },
  'chat.update': { burst: 3, intervalMs: 1250 },
  'views.publish': { burst: 5, intervalMs: 620 },
};

export const UNLIMITED_LANES: LaneLimits = { 'chat.postMessage': null, 'chat.update': null, 'views.publish': null };

/**
 * Whether this process may send a lane's next message at once, or must queue it. Most of the time
 * nothing is limited, and a message sent at once costs one HTTP call, where a queued one costs a
 * BullMQ job (an add, then the worker's fetch and finish: Lua scripts and Redis round trips). The
 * apply job sends two messages, and by the issue-6 profile BullMQ is already about a third of its
 * ~1 ms of CPU for one job, so queueing both would cost the apply benchmark roughly half its
 * throughput (an estimate from those figures; the bench measures only this design, which keeps
 * apply's CPU per job unchanged). So a message goes at once while the lane is quiet, and joins the
 * queue, behind everything already there, as soon as it is not: after this process's short
 * burst is spent, during a Retry-After, and until what it queued should have drained. BullMQ then
 * paces the queue for every process together. This gate is the one piece of pacing written here:
 * a local token bucket in front of BullMQ's limiter, not a replacement for it.
 */
export class LaneGate {
  private tokens: number;
  private at = 0;
  private closedUntil = 0;

  constructor(private readonly limit: LaneLimit | null, private readonly now: () => number = Date.now) {
    this.tokens = limit?.burst ?? 0;
  }

  /** True (and a token spent) when a message may be sent at once. */
  admit(): boolean {
    if (!this.limit) return true;
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + (now - this.at) / this.limit.intervalMs);
    this.at = now;
    if (now < this.closedUntil || this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Messages go to the queue until `ms` from now; the burst is spent (refills from then on). */
  closeFor(ms: number): void {
    this.closedUntil = Math.max(this.closedUntil, this.now() + ms);
    this.tokens = 0;
  }
}
