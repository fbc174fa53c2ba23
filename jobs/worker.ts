/**
 * The worker side: one BullMQ Worker applying approved requests, one ending time-bound grants
 * when they are due, one running maintenance jobs
 * (one at a time, scheduled by BullMQ so several worker processes never double up).
 */
import { Queue, Worker } from 'bullmq';
import type { ExpiryService } from '../src/app/expiry.js';
import type { OwnershipReviewService } from '../src/app/ownership-reviews.js';
import type { Log } from '../src/app/ports.js';
import type { RequestService } from '../src/app/requests.js';
import type { TechnicalUserService } from '../src/app/technical-users.js';
import { redisConnection } from '../src/queue/connection.js';
import { APPLY_QUEUE, GRANT_QUEUE, MAINTENANCE_QUEUE, QUEUE_PREFIX } from '../src/queue/names.js';
import type { GrantService } from '../src/app/grants.js';
import type { BreakGlassService } from '../src/app/break-glass.js';
import type { Escalations } from '../src/app/escalation.js';
import { endGrantProcessor } from './end-grant.js';
import { applyRequestProcessor } from './apply-request.js';
import { observeJobs, type JobMetrics } from './job-metrics.js';
import { maintenanceJobs, maintenanceProcessor } from './maintenance.js';
import { startOutboundWorkers, type OutboundWorkerOptions } from './outbound.js';
import { startLeanixSyncWorker, type LeanixSyncJobOptions } from './leanix-sync.js';

export interface WorkerOptions {
  redisUrl: string;
  requests: RequestService;
  technicalUsers: TechnicalUserService;
  expiry: ExpiryService;
  grants: GrantService;
  /** Reviews of technical users by their owners (absent: none run). */
  reviews?: OwnershipReviewService;
  breakGlass?: BreakGlassService;
  escalations?: Escalations;
  /** Access reviews of people's permissions: started by schedule, reminded, closed at the due date. */
  accessReviews?: { startDue(): Promise<number>; sweep(): Promise<number> };
  log: Log;
  prefix?: string;
  concurrency?: number;
  /** The outbox sweep, request expiry and unrevealed-token revocation. */
  sweepEveryMs?: number;
  /** The token expiry scan (EXPIRY_SCAN_INTERVAL_SECONDS). */
  expiryScanEveryMs?: number;
  /** Where job run times and failures are counted (GET /metrics). */
  metrics?: JobMetrics;
  /** The outbound Slack lanes' workers (jobs/outbound.ts); none when not given. */
  outbound?: Omit<OutboundWorkerOptions, 'connection' | 'prefix' | 'log' | 'metrics'>;
  /** The LeanIX mirror sync (jobs/leanix-sync.ts); none when no workspace is connected. */
  leanix?: LeanixSyncJobOptions;
}

export interface RunningWorkers {
  close(): Promise<void>;
}

export async function startWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  const { redisUrl, log, prefix = QUEUE_PREFIX, concurrency = 8, sweepEveryMs = 30_000, expiryScanEveryMs = 3600_000 } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('worker concurrency must be a positive integer');
  const connection = redisConnection(redisUrl, 'worker');
  const apply = new Worker(APPLY_QUEUE, applyRequestProcessor(opts.requests, log), { connection, prefix, concurrency });
  const grants = new Worker(GRANT_QUEUE, endGrantProcessor(opts.grants, log), { connection, prefix, concurrency });
  const jobs = maintenanceJobs(opts, { sweepMs: sweepEveryMs, expiryScanMs: expiryScanEveryMs });
  const maintenance = new Worker(MAINTENANCE_QUEUE, maintenanceProcessor(jobs, log), { connection, prefix, concurrency: 1 });
  for (const w of [apply, grants, maintenance]) {
    w.on('error', (err) => log.error({ err, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) => log.warn({ jobId: job?.id, queue: w.name, attempts: job?.attemptsMade, err }, 'job failed'));
    if (opts.metrics) observeJobs(w, opts.metrics);
  }
  const outbound = opts.outbound && startOutboundWorkers({ ...opts.outbound, connection, prefix, log, metrics: opts.metrics });
  const leanix = opts.leanix && (await startLeanixSyncWorker({ ...opts.leanix, connection, prefix, log, metrics: opts.metrics }));
  const scheduler = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  scheduler.on('error', (err) => log.warn({ err: err.message, queue: MAINTENANCE_QUEUE }, 'scheduler queue error'));
  // Job schedulers live in Redis: however many workers upsert them, each runs once per interval.
  const schedule = async () => {
    for (const { name, everyMs } of jobs) {
      await scheduler.upsertJobScheduler(name, { every: everyMs }, { name, opts: { removeOnComplete: 100, removeOnFail: 100 } });
    }
  };
  await schedule();
  // A Redis that comes back empty (restarted without persistence, or failed over) has forgotten
  // the schedulers, and with them the outbox sweep that queues approvals recorded while it was
  // away: upsert them again on every reconnect (an upsert of an existing scheduler is a no-op).
  connection.on('ready', () => {
    schedule().catch((err: unknown) => log.error({ err }, 'could not restore the maintenance schedules after a reconnect'));
  });
  log.info({ concurrency }, 'workers started');
  return {
    async close() {
      await Promise.all([apply.close(), grants.close(), maintenance.close(), outbound?.close(), leanix?.close()]);
      await scheduler.close();
      connection.disconnect();
    },
  };
}
