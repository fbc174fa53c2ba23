/**
 * Job metrics, worker side: every attempt's run time, and failures, with whether a retry follows.
 */
import type { Job, Worker } from 'bullmq';
import type { KeywardenMetrics } from '../src/metrics/metrics.js';

export type JobMetrics = Pick<KeywardenMetrics, 'jobEnded'>;

const seconds = (job: Job, end = Date.now()) => (job.processedOn ? (end - job.processedOn) / 1000 : 0);

export function observeJobs(worker: Worker, metrics: JobMetrics): void {
  worker.on('completed', (job) => metrics.jobEnded(worker.name, job.name, seconds(job, job.finishedOn ?? Date.now()), 'completed'));
  worker.on('failed', (job, err) => {
    if (!job) return;
    // Final when BullMQ will not try again: out of attempts, or an UnrecoverableError (a broken rule).
    const final = err?.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    metrics.jobEnded(worker.name, job.name, seconds(job, job.finishedOn ?? Date.now()), 'failed', final);
  });
}
