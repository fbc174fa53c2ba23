/**
 * The outbound lanes' workers: one BullMQ Worker per lane (per Slack method), paced by BullMQ's
 * rate limiter, which every worker process shares through Redis. A 429 pauses the lane for its
 * Retry-After (Queue.rateLimit) and puts the message back at the head of its queue without using
 * up an attempt (Worker.RateLimitError), so it is sent first when the pause ends, in order, and a
 * long Retry-After only makes it wait. Other failures are retried with backoff; a message that
 * finally cannot be sent is recorded where someone will see it.
 */
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Log, Store } from '../src/app/ports.js';
import type { ChangeRequest } from '../src/domain/request.js';
import { OUTBOUND_QUEUES, QUEUE_PREFIX } from '../src/queue/names.js';
import { outboundBacklog } from '../src/slack/outbound/backlog.js';
import type { OutboundDelivery } from '../src/slack/outbound/delivery.js';
import { SLACK_LANE_LIMITS, type LaneLimits } from '../src/slack/outbound/lanes.js';
import { LANES, OutboundMessage, type Lane } from '../src/slack/outbound/messages.js';
import type { Outbound, OutboundJobData } from '../src/slack/outbound/outbound.js';
import { SlackPlatformError, SlackRateLimitedError } from '../src/slack/slack-client.js';
import { observeJobs, type JobMetrics } from './job-metrics.js';

export interface OutboundWorkerOptions {
  connection: Redis;
  prefix?: string;
  store: Store;
  delivery: OutboundDelivery;
  outbound: Outbound;
  queues: Record<Lane, Queue>;
  log: Log;
  limits?: LaneLimits;
  metrics?: JobMetrics;
  /** A request's message that could not be sent, recorded on the request (RequestMessages.noteUndelivered). */
  undelivered(r: ChangeRequest, message: 'approval-message' | 'requester-dm', why: unknown): Promise<void>;
  /** How often the backlog's age is checked for the log (ms). */
  watchEveryMs?: number;
  /** A message waiting longer than this (s) is worth a line in the log. */
  backlogWarnSeconds?: number;
  /**
   * The longest a worker sleeps on a pause before it asks Redis again (BullMQ's
   * maximumRateLimitDelay). Tests shorten it to end a long Retry-After early by clearing the pause.
   */
  maximumRateLimitDelayMs?: number;
}

export const BACKLOG_WARN_SECONDS = 60;

export function startOutboundWorkers(o: OutboundWorkerOptions): { close(): Promise<void> } {
  const { connection, prefix = QUEUE_PREFIX, log } = o;
  const limits = o.limits ?? SLACK_LANE_LIMITS;
  const workers = LANES.map((lane) => {
    const limit = limits[lane];
    // Unpaced lanes still need a limiter: Queue.rateLimit (a 429's pause) only holds a limited queue.
    const limiter = limit ? { max: 1, duration: limit.intervalMs } : { max: 1_000_000, duration: 1000 };
    const w = new Worker<OutboundJobData>(OUTBOUND_QUEUES[lane], (job) => process(o, lane, job), {
      connection, prefix, limiter, concurrency: limit ? 1 : 8,
      ...(o.maximumRateLimitDelayMs !== undefined && { maximumRateLimitDelay: o.maximumRateLimitDelayMs }),
    });
    w.on('error', (err) => log.error({ err, queue: w.name }, 'worker error'));
    if (o.metrics) observeJobs(w, o.metrics);
    return w;
  });
  let warned = false;
  const watch = setInterval(() => {
    outboundBacklog(o.queues).then((lanes) => {
      const old = lanes.filter((l) => l.oldestSeconds > (o.backlogWarnSeconds ?? BACKLOG_WARN_SECONDS));
      if (old.length > 0) log.warn({ lanes: old }, 'Slack messages have waited over a minute for their turn (Slack is rate-limiting)');
      else if (warned) log.info({}, 'the Slack message backlog is under a minute old again');
      warned = old.length > 0;
    }, (err: unknown) => log.debug({ err }, 'could not read the outbound backlog'));
  }, o.watchEveryMs ?? 15_000);
  watch.unref();
  return {
    async close() {
      clearInterval(watch);
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

async function process(o: OutboundWorkerOptions, lane: Lane, job: Job<OutboundJobData>): Promise<void> {
  const parsed = OutboundMessage.safeParse(job.data.message);
  if (!parsed.success) throw new UnrecoverableError('malformed outbound message');
  const m = parsed.data;
  try {
    if (m.kind === 'approval') await postApproval(o, job, m.requestId);
    else await o.delivery.deliver(m);
  } catch (err) {
    if (err instanceof SlackRateLimitedError) {
      await o.outbound.limited(lane, err.retryAfter);
      throw Worker.RateLimitError();
    }
    const final = err instanceof SlackPlatformError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!final) throw err;
    await giveUp(o, m, err).catch((e: unknown) => o.log.error({ err: e, kind: m.kind }, 'could not record an undelivered message'));
    throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Posts the approval message and records where it is. The place is kept on the job first, so a
 * retry after a failure to record it does not post a second message. A request that changed
 * while the message was on its way (decided from the Home tab) is rewritten at once.
 */
async function postApproval(o: OutboundWorkerOptions, job: Job<OutboundJobData>, requestId: string): Promise<void> {
  const before = await o.store.requests.findById(requestId);
  if (!before) return;
  let ref = job.data.ref ?? before.slack;
  if (!ref) {
    ref = await o.delivery.deliver({ kind: 'approval', requestId }, { request: before });
    if (!ref) return;
    await job.updateData({ ...job.data, ref });
  }
  await o.store.requests.setSlackRef(requestId, ref);
  const after = await o.store.requests.findById(requestId);
  if (after && after.version !== before.version) await o.outbound.send({ kind: 'rewrite', requestId }, { request: after });
}

async function giveUp(o: OutboundWorkerOptions, m: OutboundMessage, err: unknown): Promise<void> {
  const { store, log } = o;
  if (m.kind === 'approval') {
    // An approval nobody can see must not stay pending: cancel it, and tell the requester.
    const r = await store.requests.findById(m.requestId);
    if (!r || r.status !== 'PENDING' || r.slack) return;
    const cancelled = await store.requests.update(r.id, { status: 'PENDING', version: r.version }, {
      status: 'CANCELLED', outcome: 'The approval message could not be posted.',
    });
    log.error({ err, requestId: r.id }, 'could not post the approval message; cancelled the request');
    if (cancelled) {
      const text = `Your request ${r.id.slice(0, 8)} could not be posted to <#${(await store.workspaces.findById(r.workspaceId))?.slack.approvalsChannel ?? 'approvals'}> for approval, so nothing was requested. Please try again.`;
      await o.outbound.send({ kind: 'notice', channel: r.requester, text });
    }
    return;
  }
  if (m.kind === 'rewrite' || m.kind === 'dm') {
    const r = await store.requests.findById(m.requestId);
    if (r) await o.undelivered(r, m.kind === 'dm' ? 'requester-dm' : 'approval-message', err);
    return;
  }
  log.error({ err, kind: m.kind }, 'could not send a Slack message; gave up after its retries');
}
