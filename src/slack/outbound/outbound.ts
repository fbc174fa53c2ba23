/**
 * The one path for everything Keywarden posts, rewrites or publishes on its own. A message is
 * sent at once while its lane is quiet; otherwise, or when Slack answers 429, it joins its lane's
 * BullMQ queue, where it waits its turn (paced for all processes together, paused as a whole by a
 * Retry-After) instead of failing. Queued messages are sent by the worker role (jobs/outbound.ts).
 * When Redis cannot take a message, it is sent at once after all: the caller's own retries (the
 * apply job's, submit's cancel) then stand behind it, as they did before there was a queue.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Log } from '../../app/ports.js';
import { OUTBOUND_QUEUES, QUEUE_PREFIX } from '../../queue/names.js';
import { SlackRateLimitedError } from '../slack-client.js';
import type { Known, OutboundDelivery, SlackRef } from './delivery.js';
import { LaneGate, SLACK_LANE_LIMITS, type LaneLimits } from './lanes.js';
import { identity, LANES, laneOf, type Lane, type OutboundMessage } from './messages.js';

export type Sent = { sent: true; ref: SlackRef | null } | { sent: false; etaSeconds: number };

export const OUTBOUND_ATTEMPTS = 8;

/** Job data: the message, and (approval messages) where it was posted once it was. */
export interface OutboundJobData { message: OutboundMessage; ref?: SlackRef }

export function createOutboundQueue(connection: Redis, lane: Lane, prefix = QUEUE_PREFIX): Queue<OutboundJobData> {
  return new Queue<OutboundJobData>(OUTBOUND_QUEUES[lane], {
    connection, prefix,
    defaultJobOptions: {
      attempts: OUTBOUND_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      // Kept a day, so a message queued again by a sweep or a retried job (same job id) is not sent twice.
      removeOnComplete: { age: 24 * 3600, count: 50_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
}

export interface OutboundCounters {
  /** A Slack call answered 429, by method. */
  slackLimited(method: string): void;
}

export class Outbound {
  private readonly gates: Record<Lane, LaneGate>;

  constructor(
    private readonly o: {
      queues: Record<Lane, Queue<OutboundJobData>>;
      delivery: OutboundDelivery;
      log: Log;
      limits?: LaneLimits;
      counters?: OutboundCounters;
    },
  ) {
    const limits = o.limits ?? SLACK_LANE_LIMITS;
    this.gates = Object.fromEntries(LANES.map((l) => [l, new LaneGate(limits[l])])) as Record<Lane, LaneGate>;
  }

  /** Sends `m` at once if its lane is quiet, else queues it; `known`: what the caller already read. */
  async send(m: OutboundMessage, known?: Known): Promise<Sent> {
    const lane = laneOf(m);
    if (this.gates[lane].admit()) {
      try {
        return { sent: true, ref: await this.o.delivery.deliver(m, known) };
      } catch (err) {
        if (!(err instanceof SlackRateLimitedError)) throw err;
        await this.limited(lane, err.retryAfter);
      }
    }
    return this.enqueue(m, known);
  }

  /** Slack limited a call of `lane`: every process's queued messages of the lane wait as long. */
  async limited(lane: Lane, retryAfterSeconds: number): Promise<void> {
    const ms = Math.max(1, retryAfterSeconds) * 1000;
    this.o.counters?.slackLimited(lane);
    this.gates[lane].closeFor(ms);
    this.o.log.warn({ method: lane, retryAfter: retryAfterSeconds }, 'Slack rate-limited a call; its lane waits as asked');
    await this.o.queues[lane].rateLimit(ms).catch((err: unknown) => this.o.log.warn({ err }, 'could not pause the outbound lane'));
  }

  /** The lane's queue, or (Redis unavailable) straight to Slack. */
  private async enqueue(m: OutboundMessage, known?: Known): Promise<Sent> {
    const lane = laneOf(m);
    const queue = this.o.queues[lane];
    const { jobId, dedupe } = identity(m);
    const id = jobId ?? `${m.kind}-${randomUUID()}`;
    try {
      const job = await queue.add(m.kind, { message: m }, { jobId: id, ...(dedupe && { deduplication: { id: dedupe, keepLastIfActive: true } }) });
      // Coalesced into the one already waiting (BullMQ answers with its id): a Home tab's notice
      // is the latest click's answer, so the waiting one takes it over. Rewrites carry only ids.
      if (job.id !== id && m.kind === 'home') await (await queue.getJob(job.id!))?.updateData({ message: m });
    } catch (err) {
      this.o.log.warn({ err, kind: m.kind }, 'could not queue a Slack message; sending it at once');
      return { sent: true, ref: await this.o.delivery.deliver(m, known) };
    }
    const etaSeconds = await this.eta(lane).catch(() => 0);
    this.gates[lane].closeFor(etaSeconds * 1000);
    return { sent: false, etaSeconds };
  }

  /** About how long until a message queued now in `lane` is sent (s): the backlog, paced, after any pause. */
  async eta(lane: Lane): Promise<number> {
    const limit = (this.o.limits ?? SLACK_LANE_LIMITS)[lane];
    const queue = this.o.queues[lane];
    const [counts, pauseMs] = await Promise.all([queue.getJobCounts('wait', 'prioritized', 'delayed', 'active'), queue.getRateLimitTtl(1)]);
    const backlog = Object.values(counts).reduce((a, b) => a + b, 0);
    return Math.ceil((Math.max(0, pauseMs) + backlog * (limit?.intervalMs ?? 0)) / 1000);
  }
}
