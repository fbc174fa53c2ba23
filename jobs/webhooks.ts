/**
 * Webhook deliveries as BullMQ jobs: one job per hook at a time (its job id is the hook's key, so
 * a hook waiting out its backoff is never overtaken by a second delivery of the same hook), data
 * holding the hook's key only. Retried with exponential backoff, capped, for as long as the
 * event at the head is younger than 24 hours (app/webhooks.ts gives it up after that). A sweep
 * in every worker process starts a delivery for each hook every `sweepEveryMs`; a delivery that
 * finds nothing waiting ends at once. A worker killed mid-delivery leaves its job stalled: BullMQ
 * hands it to another worker, which resumes from the hook's stored position. The sweep also
 * queues one `renote` job (one id, so one runs at a time across processes): request status
 * changes whose note was lost are noted from their requests' outbox (WebhookDelivery.renote).
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Log } from '../src/app/ports.js';
import { DeliveryPending, type WebhookDelivery } from '../src/app/webhooks.js';
import { WEBHOOK_QUEUE } from '../src/queue/names.js';
import { observeJobs, type JobMetrics } from './job-metrics.js';

export interface WebhookWorkerOptions {
  delivery: WebhookDelivery;
  connection: Redis;
  prefix: string;
  log: Log;
  metrics?: JobMetrics;
  /** How often each hook is looked at (default 1 s). */
  sweepEveryMs?: number;
  /** Backoff after a failed delivery: first delay, doubling up to the cap (default 1 s to 10 min). */
  backoffMs?: { first: number; max: number };
  /** Hooks delivered at once by this process (each hook one at a time). */
  concurrency?: number;
  /** BullMQ's lock on a running delivery; a worker that died is noticed after about this long. */
  lockDurationMs?: number;
}

/** BullMQ job ids may not hold ':'; the hook key does. */
const jobIdOf = (hook: string) => `deliver-${hook.replace(/:/g, '_')}`;
const MANY_ATTEMPTS = 1_000_000;
const RENOTE_JOB = 'renote';

export function createWebhookQueue(connection: Redis, prefix: string): Queue {
  return new Queue(WEBHOOK_QUEUE, { connection, prefix });
}

/** Asks for the lost notes to be noted again, unless that is queued or running already. */
export async function startRenote(queue: Queue): Promise<void> {
  await queue.add(RENOTE_JOB, {}, { jobId: 'renote-owed', attempts: 1, removeOnComplete: true, removeOnFail: true });
}

/** Starts a delivery for a hook unless one is queued, running or waiting out its backoff. */
export async function startDelivery(queue: Queue, hook: string): Promise<void> {
  await queue.add('deliver', { hook }, {
    jobId: jobIdOf(hook), attempts: MANY_ATTEMPTS, backoff: { type: 'hook' }, removeOnComplete: true, removeOnFail: true,
  });
}

export function startWebhookWorker(o: WebhookWorkerOptions): { close(): Promise<void> } {
  const { delivery, connection, prefix, log } = o;
  const backoff = { first: 1000, max: 600_000, ...o.backoffMs };
  const worker = new Worker(WEBHOOK_QUEUE, async (job: Job) => {
    if (job.name === RENOTE_JOB) return void (await delivery.renote());
    const hook = typeof job.data?.hook === 'string' ? job.data.hook as string : null;
    if (!hook) return;
    await delivery.deliver(hook);
  }, {
    connection, prefix, concurrency: o.concurrency ?? 4, lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: Math.max(100, Math.floor((o.lockDurationMs ?? 30_000) / 2)), maxStalledCount: MANY_ATTEMPTS,
    settings: { backoffStrategy: (attempts: number) => Math.min(backoff.max, backoff.first * 2 ** Math.max(0, attempts - 1)) },
  });
  worker.on('error', (err) => log.error({ err, queue: WEBHOOK_QUEUE }, 'worker error'));
  worker.on('failed', (job, err) => {
    if (!(err instanceof DeliveryPending)) log.warn({ jobId: job?.id, err }, 'webhook delivery failed');
  });
  if (o.metrics) observeJobs(worker, o.metrics);
  const queue = createWebhookQueue(connection, prefix);
  queue.on('error', (err) => log.debug({ err: err.message }, 'webhook queue error'));
  let sweeping: Promise<void> | null = null;
  const sweep = () => {
    sweeping ??= (async () => {
      const hooks = await delivery.hooks();
      if (hooks.length > 0) await startRenote(queue);
      for (const { key } of hooks) await startDelivery(queue, key);
    })().catch((err: unknown) => log.warn({ err }, 'could not start webhook deliveries')).finally(() => (sweeping = null));
  };
  const timer = setInterval(sweep, o.sweepEveryMs ?? 1000);
  sweep();
  return {
    async close() {
      clearInterval(timer);
      await sweeping;
      await worker.close();
      await queue.close();
    },
  };
}
