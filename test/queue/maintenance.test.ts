import { describe, expect, it } from 'vitest';
import { maintenanceJobs, maintenanceProcessor } from '../../jobs/maintenance.js';
import { createLog } from '../../src/log.js';
import {
  END_GRANTS_JOB, EXPIRE_REQUESTS_JOB, POST_UNPOSTED_JOB, REMIND_APPROVERS_JOB, REVIEW_OWNERS_JOB, REVOKE_UNREVEALED_JOB, SCAN_EXPIRY_JOB,
  SWEEP_APPROVED_JOB,
} from '../../src/queue/names.js';

describe('maintenance jobs', () => {
  const calls: string[] = [];
  const services = {
    requests: {
      sweepApproved: async () => (calls.push('sweep'), 2), postUnposted: async () => (calls.push('post'), 1), remindApprovers: async () => (calls.push('remind'), 0),
      expirePending: async () => (calls.push('expire'), 0),
    },
    technicalUsers: { revokeUnrevealed: async () => (calls.push('revoke'), [{}, {}, {}]) },
    expiry: { scanTokens: async () => (calls.push('scan'), 1) },
    grants: { sweep: async () => (calls.push('grants'), 4) },
  } as any;
  const jobs = maintenanceJobs(services, { sweepMs: 30_000, expiryScanMs: 3_600_000 });

  it('schedules the sweep-type jobs on the sweep cadence and the token scan on its own', () => {
    expect(jobs.map((j) => [j.name, j.everyMs])).toEqual([
      [SWEEP_APPROVED_JOB, 30_000], [POST_UNPOSTED_JOB, 30_000], [REMIND_APPROVERS_JOB, 30_000], [EXPIRE_REQUESTS_JOB, 30_000], [REVOKE_UNREVEALED_JOB, 30_000],
      [END_GRANTS_JOB, 30_000], [SCAN_EXPIRY_JOB, 3_600_000],
    ]);
  });

  it('runs the job named by the BullMQ job and ignores names it does not know', async () => {
    const run = maintenanceProcessor(jobs, createLog('silent'));
    expect(await run({ name: SCAN_EXPIRY_JOB })).toBe(1);
    expect(await run({ name: REVOKE_UNREVEALED_JOB })).toBe(3);
    expect(await run({ name: POST_UNPOSTED_JOB })).toBe(1);
    expect(await run({ name: END_GRANTS_JOB })).toBe(4);
    expect(await run({ name: 'left-by-an-old-version' })).toBe(0);
    expect(calls).toEqual(['scan', 'revoke', 'post', 'grants']);
  });
});

describe('the review-owners job', () => {
  it('runs on the sweep cadence, adopting technical users made before reviews at its first run only', async () => {
    const calls: string[] = [];
    const none = async () => 0;
    const services = {
      requests: { sweepApproved: none, postUnposted: none, remindApprovers: none, expirePending: none },
      technicalUsers: { revokeUnrevealed: async () => [] }, expiry: { scanTokens: none }, grants: { sweep: none },
      reviews: { adoptAll: async () => (calls.push('adopt'), 2), scan: async () => (calls.push('scan'), 5) },
    } as any;
    const jobs = maintenanceJobs(services, { sweepMs: 30_000, expiryScanMs: 3_600_000 });
    expect(jobs.find((j) => j.name === REVIEW_OWNERS_JOB)?.everyMs).toBe(30_000);
    const run = maintenanceProcessor(jobs, createLog('silent'));
    expect(await run({ name: REVIEW_OWNERS_JOB })).toBe(5);
    expect(await run({ name: REVIEW_OWNERS_JOB })).toBe(5);
    expect(calls).toEqual(['adopt', 'scan', 'scan']);
  });
});
