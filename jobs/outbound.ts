/**
 * The outbound lanes' workers: one BullMQ Worker per lane (per Slack method). A message takes its
 * turn from the shared count of Slack's limits (src/slack/outbound/pacer.ts) when it comes up:
 * sent when its keys have a free slot, else delayed to the slot it reserved (or, for a long pause,
 * to a minute from now, to ask again), without using up an attempt (DelayedError). A 429 pauses
 * only its key, for its Retry-After, and the message waits it out the same way. Other failures are
 * retried with backoff; a message that finally cannot be sent is recorded where someone will see it.
 */
import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { z } from 'zod';
import type { Redis } from 'ioredis';
import type { Log, Store } from '../src/app/ports.js';
import type { ChangeRequest } from '../src/domain/request.js';
import { OUTBOUND_QUEUES, QUEUE_PREFIX } from '../src/queue/names.js';
import { outboundBacklog } from '../src/slack/outbound/backlog.js';
import type { OutboundDelivery } from '../src/slack/outbound/delivery.js';
import type { SlackAddress } from '../src/slack/outbound/lanes.js';
import { identity, LANES, laneOf, OutboundMessage, type Lane } from '../src/slack/outbound/messages.js';
import { dropReason, type Outbound, type OutboundJobData } from '../src/slack/outbound/outbound.js';
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
  metrics?: JobMetrics;
  /** A request's message that could not be sent, recorded on the request (RequestMessages.noteUndelivered). */
  undelivered(r: ChangeRequest, message: 'approval-message' | 'requester-dm', why: unknown): Promise<void>;
  /** How often the backlog's age is checked for the log (ms). */
  watchEveryMs?: number;
  /** A message waiting longer than this (s) is worth a line in the log. */
  backlogWarnSeconds?: number;
  /**
   * The longest a waiting message sleeps before it asks for its turn again: the Outbound's
   * maxWaitMs, which keywarden.ts sets from this. Tests shorten it to end a long Retry-After early
   * by clearing the pause.
   */
  maximumRateLimitDelayMs?: number;
}

/** How many messages of a lane are on their way at once (each to its own channel or Slack workspace). */
const CONCURRENCY: Record<Lane, number> = { 'chat.postMessage': 16, 'chat.update': 4, 'views.publish': 4, 'functions.complete': 2 };

export const BACKLOG_WARN_SECONDS = 60;

export function startOutboundWorkers(o: OutboundWorkerOptions): { close(): Promise<void> } {
  const { connection, prefix = QUEUE_PREFIX, log } = o;
  const workers = LANES.map((lane) => {
    const w = new Worker<OutboundJobData>(OUTBOUND_QUEUES[lane], (job, token) => process(o, job, token), {
      connection, prefix, concurrency: CONCURRENCY[lane],
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

async function process(o: OutboundWorkerOptions, job: Job<OutboundJobData>, token: string | undefined): Promise<void> {
  const parsed = OutboundMessage.safeParse(job.data.message);
  if (!parsed.success) throw new UnrecoverableError('malformed outbound message');
  const m = parsed.data;
  let address: SlackAddress | undefined;
  try {
    if (m.kind === 'approval') await postApproval(o, job, token, m.requestId, (a) => (address = a));
    else {
      const shown = await alreadyShown(o, job);
      if (shown.skip) return;
      const p = await o.delivery.prepare(m);
      if (!p) return;
      address = p.address;
      await takeTurn(o, job, token, p.address);
      await p.send();
      await shown.mark();
    }
  } catch (err) {
    if (err instanceof DelayedError) throw err;
    // Its Slack workspace uninstalled Keywarden (or revoked its token): never worth a retry. Done
    // with, not failed, so no sweep queues it again; a pending approval is cancelled (giveUp).
    const drop = dropReason(err);
    if (drop) {
      o.outbound.dropped(m, address ?? { method: laneOf(m), teamId: '-' }, drop);
      await giveUp(o, m, err).catch((e: unknown) => o.log.error({ err: e, kind: m.kind }, 'could not record an undelivered message'));
      return;
    }
    if (err instanceof SlackRateLimitedError && address) {
      await o.outbound.limited(address, err.retryAfter);
      await delay(o, job, token, Math.max(1, err.retryAfter) * 1000);
    }
    const final = err instanceof SlackPlatformError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!final) throw err;
    await giveUp(o, m, err).catch((e: unknown) => o.log.error({ err: e, kind: m.kind }, 'could not record an undelivered message'));
    throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * A coalesced message (a rewrite, a Home tab) queued before the last one of its kind was rendered
 * is shown already: BullMQ's keepLastIfActive queues one more after a job that was active when it
 * was asked for, and that job may have been only taking its turn, rendering later. A Home tab's
 * notice is carried in the message itself, so the one shown must also have had the same notice.
 * `mark` records when this one read what it shows, and its notice.
 */
async function alreadyShown(o: OutboundWorkerOptions, job: Job<OutboundJobData>): Promise<{ skip: boolean; mark(): Promise<void> }> {
  const m = job.data.message;
  const { dedupe } = identity(m);
  const queuedAt = job.data.queuedAt;
  if (!dedupe || queuedAt === undefined) return { skip: false, mark: async () => undefined };
  const notice = m.kind === 'home' ? (m.notice ?? '') : '';
  const key = `${o.prefix ?? QUEUE_PREFIX}:shown:${dedupe}`;
  const readAt = Date.now();
  const last = Shown.safeParse(JSON.parse((await o.connection.get(key)) ?? 'null'));
  return {
    skip: last.success && last.data.at >= queuedAt && last.data.notice === notice,
    mark: async () => {
      await o.connection.set(key, JSON.stringify({ at: readAt, notice }), 'PX', 3_600_000);
    },
  };
}

const Shown = z.object({ at: z.number(), notice: z.string() });

/** Returns when the message may be sent now; otherwise delays the job to its turn (throws DelayedError). */
async function takeTurn(o: OutboundWorkerOptions, job: Job<OutboundJobData>, token: string | undefined, address: SlackAddress): Promise<void> {
  const slot = await o.outbound.slot(address, o.outbound.maxWaitMs, job.data.slotAt ?? 0);
  // A few ms early is still the slot's: the limits Keywarden keeps are a little under Slack's.
  if (slot.reserved && slot.waitMs <= 10) return;
  await delay(o, job, token, slot.waitMs, slot.reserved ? Date.now() + slot.waitMs : undefined);
}

/** Back to the delayed set for `ms` (at most maxWaitMs), holding `slotAt` if a slot is reserved; an attempt is not used up. */
async function delay(o: OutboundWorkerOptions, job: Job<OutboundJobData>, token: string | undefined, ms: number, slotAt?: number): Promise<never> {
  // Written only when it changes: a coalesced copy queued meanwhile may have updated the job's
  // data (a Home tab's latest notice), and writing the data read at the start would undo that.
  if (job.data.slotAt !== slotAt) {
    const { slotAt: _, ...rest } = job.data;
    await job.updateData(slotAt === undefined ? rest : { ...rest, slotAt });
  }
  await job.moveToDelayed(Date.now() + Math.max(1, Math.min(ms, o.outbound.maxWaitMs)), token);
  throw new DelayedError();
}

/**
 * Posts the approval message and records where it is. The place is kept on the job first, so a
 * retry after a failure to record it does not post a second message. A request that changed
 * while the message was on its way (decided from the Home tab) is rewritten at once.
 */
async function postApproval(
  o: OutboundWorkerOptions, job: Job<OutboundJobData>, token: string | undefined, requestId: string, at: (a: SlackAddress) => void,
): Promise<void> {
  const before = await o.store.requests.findById(requestId);
  if (!before) return;
  let ref = job.data.ref ?? before.slack;
  if (!ref) {
    const p = await o.delivery.prepare({ kind: 'approval', requestId }, { request: before });
    if (!p) return;
    at(p.address);
    await takeTurn(o, job, token, p.address);
    ref = await p.send();
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
      const ws = await store.workspaces.findById(r.workspaceId);
      const text = `Your request ${r.id.slice(0, 8)} could not be posted to <#${ws?.slack.approvalsChannel ?? 'approvals'}> for approval, so nothing was requested. Please try again.`;
      await o.outbound.send({ kind: 'notice', channel: r.requester, text, ...(ws && { teamId: ws.slack.teamId }) });
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
