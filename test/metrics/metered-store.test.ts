import { describe, expect, it } from 'vitest';
import { meteredStore } from '../../src/metrics/metered-store.js';
import { KeywardenMetrics } from '../../src/metrics/metrics.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { createLog } from '../../src/log.js';
import { LogCapture } from '../helpers/keywarden.js';
import { request, technicalUser } from '../store/contract.js';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
/** A metric's values; histogram values also name their series (_bucket, _sum, _count). */
const metric = async (m: KeywardenMetrics, name: string) =>
  (await m.registry.getSingleMetric(name)!.get()).values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;

describe('meteredStore', () => {
  it('counts each request state change once, by whoever won its compare-and-set, and times decision and application', async () => {
    const metrics = new KeywardenMetrics({ defaultMetrics: false });
    const store = meteredStore(createMemoryStore(), metrics);
    const r = request({ createdAt: T0, version: 0 });
    await store.requests.insert(r);
    // Two racing approvals: one wins, the other changes (and counts) nothing.
    const [a, b] = await Promise.all([1, 2].map(() => store.requests.update(r.id, { status: 'PENDING', version: 0 }, { status: 'APPROVED', decidedBy: 'U1', decidedAt: at(30) })));
    expect([a, b].filter(Boolean)).toHaveLength(1);
    // A change that keeps the status (a first approval of two) is not an outcome.
    const other = request({ createdAt: T0, version: 0 });
    await store.requests.insert(other);
    await store.requests.update(other.id, { status: 'PENDING', version: 0 }, { approvals: [{ by: 'U1', at: at(1) }] });
    await store.requests.update(r.id, { status: 'APPROVED', version: 1 }, { status: 'APPLIED', appliedAt: at(31) });

    const counts = Object.fromEntries((await metric(metrics, 'keywarden_requests_total')).map((v) => [v.labels.outcome, v.value]));
    expect(counts).toEqual({ submitted: 2, approved: 1, applied: 1 });
    const decision = (await metric(metrics, 'keywarden_request_decision_seconds')).find((v) => v.metricName === 'keywarden_request_decision_seconds_sum');
    expect(decision).toMatchObject({ labels: { kind: 'permission.role', decision: 'approved' }, value: 30 * 60 });
    const applied = (await metric(metrics, 'keywarden_request_applied_seconds')).find((v) => v.metricName === 'keywarden_request_applied_seconds_sum');
    expect(applied).toMatchObject({ labels: { kind: 'permission.role' }, value: 31 * 60 });
    // Everything else passes through untouched.
    expect(await store.requests.findById(r.id)).toMatchObject({ status: 'APPLIED' });
    expect(await store.requests.claimNotified(r.id, at(40))).toBe(true);
  });
});

describe('the token gauge', () => {
  it('counts live tokens by days to expiry when scraped', async () => {
    const metrics = new KeywardenMetrics({ defaultMetrics: false });
    const store = createMemoryStore();
    const withExpiry = (days: number, revoked = false) => {
      const t = technicalUser();
      return { ...t, token: { ...t.token!, expiresAt: new Date(T0.getTime() + days * 86_400_000), revokedAt: revoked ? T0 : null } };
    };
    for (const t of [withExpiry(-2), withExpiry(0.5), withExpiry(3), withExpiry(3), withExpiry(20, true), withExpiry(45), withExpiry(400)]) await store.technicalUsers.insert(t);
    metrics.watchTokens(store.technicalUsers, () => T0, createLog('silent', new LogCapture()));
    const values = Object.fromEntries((await metric(metrics, 'keywarden_api_tokens')).map((v) => [v.labels.days_to_expiry, v.value]));
    expect(values).toEqual({ expired: 1, '0-1': 1, '1-7': 2, '7-30': 0, '30-90': 1, '90+': 1 });
  });

  it('keeps the last counts when the store does not answer, rather than failing the scrape', async () => {
    const metrics = new KeywardenMetrics({ defaultMetrics: false });
    const logs = new LogCapture();
    let fail = false;
    const repo = { countTokensExpiringBefore: async (b: Date[]) => (fail ? Promise.reject(new Error('store down')) : b.map((_, i) => i + 1)) };
    metrics.watchTokens(repo, () => T0, createLog('warn', logs));
    const first = (await metrics.expose()).body;
    fail = true;
    expect((await metrics.expose()).body).toBe(first);
    expect(logs.text).toContain('could not count tokens for /metrics');
  });
});

describe('the unreviewed gauge', () => {
  it('counts technical users left unreviewed when scraped, keeping the last count when the store fails', async () => {
    const metrics = new KeywardenMetrics({ defaultMetrics: false });
    const logs = new LogCapture();
    let n: number | null = 3;
    metrics.watchReviews({ countUnreviewed: async () => (n === null ? Promise.reject(new Error('store down')) : n) }, createLog('warn', logs));
    expect((await metrics.expose()).body).toMatch(/^keywarden_unreviewed_technical_users 3$/m);
    n = null;
    expect((await metrics.expose()).body).toMatch(/^keywarden_unreviewed_technical_users 3$/m);
    expect(logs.text).toContain('could not count unreviewed technical users');
  });
});
