/**
 * The worker side: one BullMQ Worker applying approved requests, one running maintenance jobs
 * (one at a time, scheduled by BullMQ so several worker processes never double up).
 */
import { Queue, Worker } from 'bullmq';
import type { Log } from '../src/app/ports.js';
import type { RequestService } from '../src/app/requests.js';
import type { TechnicalUserService } from '../src/app/technical-users.js';
import { redisConnection } from '../src/queue/connection.js';
import { APPLY_QUEUE, MAINTENANCE_QUEUE, QUEUE_PREFIX, REVOKE_UNREVEALED_JOB, SWEEP_APPROVED_JOB } from '../src/queue/names.js';
import { applyRequestProcessor } from './apply-request.js';
import { revokeUnrevealedProcessor } from './revoke-unrevealed.js';
import { sweepApprovedProcessor } from './sweep-approved.js';

export interface WorkerOptions {
  redisUrl: string;
  requests: RequestService;
  technicalUsers: TechnicalUserService;
  log: Log;
  prefix?: string;
  concurrency?: number;
  sweepEveryMs?: number;
}

export interface RunningWorkers {
  close(): Promise<void>;
}

export async function startWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  const { redisUrl, requests, technicalUsers, log, prefix = QUEUE_PREFIX, concurrency = 8, sweepEveryMs = 30_000 } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('worker concurrency must be a positive integer');
  const connection = redisConnection(redisUrl, 'worker');
  const apply = new Worker(APPLY_QUEUE, applyRequestProcessor(requests, log), { connection, prefix, concurrency });
  const maintenanceJobs: Record<string, () => Promise<unknown>> = {
    [SWEEP_APPROVED_JOB]: sweepApprovedProcessor(requests, log),
    [REVOKE_UNREVEALED_JOB]: revokeUnrevealedProcessor(technicalUsers, log),
  };
  const maintenance = new Worker(MAINTENANCE_QUEUE, async (job) => maintenanceJobs[job.name]?.(), {
    connection, prefix, concurrency: 1,
  });
  for (const w of [apply, maintenance]) {
    w.on('error', (err) => log.error({ err, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) => log.warn({ jobId: job?.id, queue: w.name, attempts: job?.attemptsMade, err }, 'job failed'));
  }
  const scheduler = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  // Job schedulers live in Redis: however many workers upsert them, each runs once per interval.
  for (const name of Object.keys(maintenanceJobs)) {
    await scheduler.upsertJobScheduler(name, { every: sweepEveryMs }, { name, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  }
  log.info({ concurrency }, 'workers started');
  return {
    async close() {
      await Promise.all([apply.close(), maintenance.close()]);
      await scheduler.close();
      connection.disconnect();
    },
  };
}
