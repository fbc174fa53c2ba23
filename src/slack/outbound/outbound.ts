/**
 * The one path for everything Keywarden posts, rewrites or publishes on its own. Slack's limits
 * are counted per key as Slack counts them (lanes.ts, pacer.ts: a channel, a Slack workspace's
 * posts, a method in a Slack workspace), in Redis, so every process shares the count. A message
 * whose keys have a free slot now is sent at once; otherwise it joins its lane's BullMQ queue (one
 * per method: a fixed set, however many channels), delayed to its slot, and the worker role sends
 * it then (jobs/outbound.ts). A 429 pauses only its key, for its Retry-After, for every process.
 * When Redis cannot take a message, it is sent at once after all: the caller's own retries (the
 * apply job's, submit's cancel) then stand behind it, as they did before there was a queue.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Log } from '../../app/ports.js';
import { OUTBOUND_QUEUES, QUEUE_PREFIX } from '../../queue/names.js';
import { AUTH_ERRORS, SlackNotInstalledError, SlackPlatformError, SlackRateLimitedError } from '../slack-client.js';
import type { Known, OutboundDelivery, SlackRef } from './delivery.js';
import { limitedKey, paceKeys, SLACK_LANE_LIMITS, type LaneLimits, type SlackAddress } from './lanes.js';
import { identity, laneOf, type Lane, type OutboundMessage } from './messages.js';
import type { SlackPacer, Slot } from './pacer.js';

export type Sent = { sent: true; ref: SlackRef | null } | { sent: false; etaSeconds: number };

export const OUTBOUND_ATTEMPTS = 8;

/**
 * Job data: the message; the slot reserved for it (epoch ms), if one is; (approval messages)
 * where it was posted once it was; (coalesced messages) when it was queued.
 */
export interface OutboundJobData { message: OutboundMessage; slotAt?: number; ref?: SlackRef; queuedAt?: number }

/** A message waits at most this long before it asks for its turn again (ms). */
export const MAX_WAIT_MS = 60_000;

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
  /** A message dropped: its Slack workspace uninstalled Keywarden (`not_installed`) or Slack refused its token (Slack's error). */
  slackDropped?(reason: string): void;
}

/**
 * Why a message can never be sent, or null when it may be tried again: Keywarden is not
 * installed on its Slack workspace any more, or Slack says the token no longer works.
 */
export function dropReason(err: unknown): string | null {
  if (err instanceof SlackNotInstalledError) return 'not_installed';
  if (err instanceof SlackPlatformError && AUTH_ERRORS.has(err.data.error)) return err.data.error;
  return null;
}

export class Outbound {
  readonly limits: LaneLimits;
  /** The longest a queued message sleeps before it asks again; slots further away are not reserved. */
  readonly maxWaitMs: number;

  constructor(
    private readonly o: {
      queues: Record<Lane, Queue<OutboundJobData>>;
      delivery: OutboundDelivery;
      log: Log;
      limits?: LaneLimits;
      /** The shared count of Slack's limits; without it nothing is paced (a Slack without limits). */
      pacer?: SlackPacer;
      counters?: OutboundCounters;
      maxWaitMs?: number;
    },
  ) {
    this.limits = o.limits ?? SLACK_LANE_LIMITS;
    this.maxWaitMs = o.maxWaitMs ?? MAX_WAIT_MS;
  }

  /** Sends `m` at once if its keys have a free slot now, else queues it; `known`: what the caller already read. */
  async send(m: OutboundMessage, known?: Known): Promise<Sent> {
    const p = await this.o.delivery.prepare(m, known);
    if (!p) return { sent: true, ref: null };
    // A message sent once (by its job id) that already has its job (a sweep asking again, while
    // it waits its turn or after it went) is that job's to send: sending it here too would send it twice.
    const once = await this.jobOf(m);
    if (once === 'sent') return { sent: true, ref: null };
    if (once === 'waiting') return this.enqueue(m, known, 0);
    // A coalesced message (a rewrite, a Home tab) reserves nothing until it is sent: the copies
    // it absorbs while it waits would each have held a slot of their own.
    const coalesced = identity(m).dedupe !== undefined;
    let slot: Slot;
    try {
      slot = await this.slot(p.address, coalesced ? 0 : this.maxWaitMs);
    } catch (err) {
      this.o.log.debug({ err }, 'could not count Slack limits in Redis; sending at once');
      slot = { reserved: true, waitMs: 0 };
    }
    if (slot.reserved && slot.waitMs <= 0) {
      try {
        return { sent: true, ref: await p.send() };
      } catch (err) {
        const drop = dropReason(err);
        if (drop) {
          this.dropped(m, p.address, drop);
          // An approval message not posted is the submitter's to undo (app/requests.ts cancels it).
          if (m.kind === 'approval') throw err;
          return { sent: true, ref: null };
        }
        if (!(err instanceof SlackRateLimitedError)) throw err;
        await this.limited(p.address, err.retryAfter);
        return this.enqueue(m, known, Math.max(1, err.retryAfter) * 1000);
      }
    }
    return this.enqueue(m, known, slot.waitMs, slot.reserved ? Date.now() + slot.waitMs : undefined);
  }

  /**
   * The next slot of a call to `address`, taken when it is at most `horizonMs` away. `heldAt`: a
   * slot reserved before, kept unless a 429's pause began over it. Unpaced: always now.
   */
  async slot(address: SlackAddress, horizonMs: number, heldAt = 0): Promise<Slot> {
    const keys = paceKeys(this.limits, address);
    if (!this.o.pacer || keys.length === 0) return { reserved: true, waitMs: 0 };
    return this.o.pacer.take(keys, horizonMs, heldAt);
  }

  /**
   * For a call made while answering someone (a form's views.open, a user group's members): waits
   * for a slot of `address` at most `maxWaitMs`, then resolves true; false when none is that near
   * (a pause, a backlog), for the caller to tell the person Slack is busy. Redis unavailable: true.
   */
  async acquire(address: SlackAddress, maxWaitMs: number): Promise<boolean> {
    let slot: Slot;
    try {
      slot = await this.slot(address, maxWaitMs);
    } catch (err) {
      this.o.log.debug({ err }, 'could not count Slack limits in Redis; calling at once');
      return true;
    }
    if (!slot.reserved) return false;
    if (slot.waitMs > 0) await new Promise((r) => setTimeout(r, slot.waitMs));
    return true;
  }

  /** Slack limited a call to `address`: what shares its limit (that channel, or that method in that Slack workspace) waits as long, in every process. */
  async limited(address: SlackAddress, retryAfterSeconds: number): Promise<void> {
    const ms = Math.max(1, retryAfterSeconds) * 1000;
    this.o.counters?.slackLimited(address.method);
    const key = limitedKey(this.limits, address);
    this.o.log.warn({ method: address.method, team: address.teamId, channel: address.channel, retryAfter: retryAfterSeconds }, 'Slack rate-limited a call; what shares its limit waits as asked');
    if (key && this.o.pacer) await this.o.pacer.pause(key, ms).catch((err: unknown) => this.o.log.warn({ err }, 'could not pause the limited key'));
  }

  /** A message that can never be sent (see dropReason): one log line and a count, never a retry. */
  dropped(m: OutboundMessage, address: SlackAddress, reason: string): void {
    this.o.counters?.slackDropped?.(reason);
    this.o.log.warn({ kind: m.kind, method: address.method, team: address.teamId, enterprise: address.enterpriseId ?? null, channel: address.channel, reason },
      'dropped a Slack message: Keywarden is not installed on that Slack workspace (or Slack refused its token)');
  }

  /** Whether a message with a job id of its own has a job already (failed ones aside: those may be sent again). */
  private async jobOf(m: OutboundMessage): Promise<'none' | 'waiting' | 'sent'> {
    const { jobId } = identity(m);
    if (!jobId) return 'none';
    const state = await this.o.queues[laneOf(m)].getJobState(jobId).catch(() => 'unknown');
    return state === 'completed' ? 'sent' : state === 'unknown' || state === 'failed' ? 'none' : 'waiting';
  }

  /** The lane's queue, delayed by `delayMs` (or, Redis unavailable, straight to Slack). */
  private async enqueue(m: OutboundMessage, known: Known | undefined, delayMs: number, slotAt?: number): Promise<Sent> {
    const queue = this.o.queues[laneOf(m)];
    const { jobId, dedupe } = identity(m);
    const id = jobId ?? `${m.kind}-${randomUUID()}`;
    const delay = Math.max(0, Math.min(Math.round(delayMs), this.maxWaitMs));
    try {
      const job = await queue.add(m.kind, { message: m, ...(slotAt !== undefined && { slotAt }), ...(dedupe && { queuedAt: Date.now() }) }, {
        jobId: id, ...(delay > 0 && { delay }), ...(dedupe && { deduplication: { id: dedupe, keepLastIfActive: true } }),
      });
      // Coalesced into the one already waiting (BullMQ answers with its id): it is now asked for
      // at this moment (jobs/outbound.ts skips one that was shown since), and a Home tab's notice
      // is the latest click's answer, so the waiting one takes it over. Rewrites carry only ids.
      if (job.id !== id) {
        const waiting = await queue.getJob(job.id!);
        if (waiting) await waiting.updateData({ ...waiting.data, queuedAt: Date.now(), ...(m.kind === 'home' && { message: m }) });
      }
    } catch (err) {
      this.o.log.warn({ err, kind: m.kind }, 'could not queue a Slack message; sending it at once');
      return { sent: true, ref: await this.o.delivery.deliver(m, known) };
    }
    return { sent: false, etaSeconds: Math.ceil(delayMs / 1000) };
  }

  /** About how long until a message to `address` queued now would be sent (s): the time to its keys' next free slot. */
  async eta(address: SlackAddress): Promise<number> {
    const slot = await this.slot(address, -1);
    return Math.ceil(slot.waitMs / 1000);
  }
}
