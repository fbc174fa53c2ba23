/**
 * The LeanIX mirror sync as a BullMQ job. One job scheduler (in Redis, so one tick per interval
 * however many workers upsert it) queues a tick every `tickMs`; the tick syncs each connected
 * workspace whose `syncSeconds` have passed, claimed in Redis so that a workspace is synced once
 * per its interval even when a long sync overlaps the next tick on another worker. Its own queue:
 * a sync of a large workspace must not hold up the outbox sweep and the other maintenance jobs.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Log } from '../src/app/ports.js';
import type { LeanixSync, SyncTarget } from '../src/leanix/sync.js';
import { LEANIX_SYNC_JOB, LEANIX_SYNC_QUEUE } from '../src/queue/names.js';
import { observeJobs, type JobMetrics } from './job-metrics.js';

export interface LeanixSyncJobOptions {
  sync: LeanixSync;
  /** The connected workspaces as they are now (each with its reader and syncSeconds). */
  targets: () => Promise<SyncTarget[]>;
  /** How often the tick runs (ms; default 30 s, the shortest syncSeconds allowed). */
  tickMs?: number;
}

export async function startLeanixSyncWorker(
  o: LeanixSyncJobOptions & { connection: Redis; prefix: string; log: Log; metrics?: JobMetrics },
): Promise<{ close(): Promise<void> }> {
  const { connection, prefix, log, tickMs = 30_000 } = o;
  const worker = new Worker(LEANIX_SYNC_QUEUE, async () => o.sync.runDue(await o.targets()), { connection, prefix, concurrency: 1 });
  worker.on('error', (err) => log.error({ err, queue: LEANIX_SYNC_QUEUE }, 'worker error'));
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, queue: LEANIX_SYNC_QUEUE, err }, 'job failed'));
  if (o.metrics) observeJobs(worker, o.metrics);
  const scheduler = new Queue(LEANIX_SYNC_QUEUE, { connection, prefix });
  scheduler.on('error', (err) => log.warn({ err: err.message, queue: LEANIX_SYNC_QUEUE }, 'scheduler queue error'));
  const schedule = () =>
    scheduler.upsertJobScheduler(LEANIX_SYNC_JOB, { every: tickMs }, { name: LEANIX_SYNC_JOB, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  await schedule();
  // As the maintenance schedulers: a Redis that came back empty gets its scheduler again.
  const onReady = () => void schedule().catch((err: unknown) => log.error({ err }, 'could not restore the LeanIX sync schedule after a reconnect'));
  connection.on('ready', onReady);
  return {
    async close() {
      connection.off('ready', onReady);
      await worker.close();
      await scheduler.close();
    },
  };
}
