/**
 * Keywarden's Prometheus metrics (prom-client), on a registry of its own per process (so tests and
 * benchmarks that start several Keywardens in one process never share or clash):
 *
 *   keywarden_requests_total{kind,outcome}             requests reaching each state (submitted, approved, ...)
 *   keywarden_request_decision_seconds{kind,decision}  from request to the deciding click
 *   keywarden_request_applied_seconds{kind}            from request to the change applied
 *   keywarden_job_duration_seconds{queue,job,result}   BullMQ jobs, worker side
 *   keywarden_job_failures_total{queue,job,final}      failed attempts; final: no retry follows
 *   keywarden_api_tokens{days_to_expiry}               live API tokens by days to expiry (read on scrape)
 *   keywarden_slack_limited_total{method}              Slack calls answered 429 (rate limited)
 *   keywarden_slack_outbound_backlog{method}           messages waiting their turn in an outbound lane (read on scrape)
 *   keywarden_slack_outbound_oldest_seconds{method}    how long the oldest of them has waited (read on scrape)
 *   keywarden_webhook_backlog{hook}                    events waiting for a webhook (read on scrape)
 *   keywarden_webhook_failures_total{reason}           webhook POSTs not taken: refused, status, gone, given-up
 *   keywarden_leanix_calls_total{workspace,method,status}  HTTP exchanges with a connected LeanIX, by operation and answer (status, timeout, error)
 *   keywarden_leanix_call_seconds{workspace,method}    how long they took
 *   keywarden_leanix_last_sync_timestamp_seconds{workspace}  when the mirror was last brought up to date (by this process)
 *   keywarden_leanix_drift_total{workspace,kind}       changes found in LeanIX that Keywarden did not make (kind: permission, techuser)
 *
 * plus prom-client's default process metrics. Every label has a small, fixed set of values.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Log, OwnershipRepository, TechnicalUserRepository } from '../app/ports.js';
import type { ChangeRequest } from '../domain/request.js';

const DAY_MS = 86_400_000;
const MINUTE = 60;
const HOUR = 3600;

/** Requests wait for people: seconds to days. */
const HUMAN_BUCKETS = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 12 * HOUR, 24 * HOUR, 72 * HOUR, 7 * 24 * HOUR];
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Days-to-expiry buckets of the token gauge: label, and its upper bound in days (the last has none). */
export const TOKEN_BUCKETS: ReadonlyArray<readonly [string, number]> = [
  ['expired', 0], ['0-1', 1], ['1-7', 7], ['7-30', 30], ['30-90', 90], ['90+', Infinity],
];
/** The latest Date there is: "expires before this" counts every token. */
const END_OF_TIME = new Date(8.64e15);

export class KeywardenMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'keywarden_requests_total', help: 'Change requests that reached each outcome, by kind (submitted = stored as PENDING).',
    labelNames: ['kind', 'outcome'] as const, registers: [this.registry],
  });
  private readonly decision = new Histogram({
    name: 'keywarden_request_decision_seconds', help: 'Time from a request to its approval or rejection.',
    labelNames: ['kind', 'decision'] as const, buckets: HUMAN_BUCKETS, registers: [this.registry],
  });
  private readonly applied = new Histogram({
    name: 'keywarden_request_applied_seconds', help: 'Time from a request to the change applied.',
    labelNames: ['kind'] as const, buckets: HUMAN_BUCKETS, registers: [this.registry],
  });
  private readonly jobs = new Histogram({
    name: 'keywarden_job_duration_seconds', help: 'BullMQ job run time (one attempt), by queue, job and result.',
    labelNames: ['queue', 'job', 'result'] as const, buckets: JOB_BUCKETS, registers: [this.registry],
  });
  private readonly jobFailures = new Counter({
    name: 'keywarden_job_failures_total', help: 'Failed BullMQ job attempts; final="true" when no retry follows.',
    labelNames: ['queue', 'job', 'final'] as const, registers: [this.registry],
  });

  private readonly grantEnds = new Counter({
    name: 'keywarden_grant_ends_total',
    help: 'Time-bound grants ended, by how: expired (reverted at its end), ended (End now), outside (its subject changed in LeanIX outside Keywarden; not reverted), gone (its end found it already ended or superseded).',
    labelNames: ['outcome'] as const, registers: [this.registry],
  });

  private readonly slackDroppedMessages = new Counter({
    name: 'keywarden_slack_dropped_total',
    help: 'Slack messages dropped because Keywarden is no longer installed on their Slack workspace (not_installed) or Slack refused the token (its error), by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  private readonly slackLimitedCalls = new Counter({
    name: 'keywarden_slack_limited_total', help: 'Slack Web API calls answered 429 (rate limited), by method.',
    labelNames: ['method'] as const, registers: [this.registry],
  });

  private readonly webhookFailures = new Counter({
    name: 'keywarden_webhook_failures_total',
    help: 'Webhook POSTs the receiver did not take: refused (no answer or address not allowed), status (not 2xx), gone (410: turned off), given-up (after 24 hours).',
    labelNames: ['reason'] as const, registers: [this.registry],
  });

  /** A webhook POST was not taken. */
  webhookFailed(reason: 'refused' | 'status' | 'gone' | 'given-up'): void {
    this.webhookFailures.inc({ reason });
  }

  /** Events waiting per hook (its key: workspace id and a hash of its URL), read at every scrape. */
  watchWebhooks(read: () => Promise<Array<{ hook: string; backlog: number }>>, log: Log): void {
    new Gauge({
      name: 'keywarden_webhook_backlog', help: 'Events waiting to be delivered to each webhook (counted up to 10000).',
      labelNames: ['hook'] as const, registers: [this.registry],
      async collect() {
        const rows = await withTimeout(read(), 2000).catch((err: unknown) => {
          log.warn({ err }, 'could not read the webhook backlog for /metrics');
          return null;
        });
        for (const r of rows ?? []) this.set({ hook: r.hook }, r.backlog);
      },
    });
  }

  private readonly leanixCalls = new Counter({
    name: 'keywarden_leanix_calls_total', help: 'HTTP exchanges with a connected LeanIX workspace, by operation (token, permissions.list, ...) and answer (HTTP status, timeout, error).',
    labelNames: ['workspace', 'method', 'status'] as const, registers: [this.registry],
  });
  private readonly leanixCallSeconds = new Histogram({
    name: 'keywarden_leanix_call_seconds', help: 'Time a call to LeanIX took, answer or not.',
    labelNames: ['workspace', 'method'] as const, buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry],
  });
  private readonly leanixLastSync = new Gauge({
    name: 'keywarden_leanix_last_sync_timestamp_seconds', help: 'When this process last finished a sync of the workspace\'s mirror of LeanIX (Unix seconds).',
    labelNames: ['workspace'] as const, registers: [this.registry],
  });
  private readonly leanixDrift = new Counter({
    name: 'keywarden_leanix_drift_total', help: 'Changes found in LeanIX that Keywarden did not make, by workspace and kind (permission, techuser).',
    labelNames: ['workspace', 'kind'] as const, registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A request was stored (PENDING). */
  requestSubmitted(r: Pick<ChangeRequest, 'kind'>): void {
    this.requests.inc({ kind: r.kind, outcome: 'submitted' });
  }

  /** A request's status changed (called once per change, by whoever won its compare-and-set). */
  requestChanged(r: ChangeRequest): void {
    this.requests.inc({ kind: r.kind, outcome: r.status.toLowerCase() });
    const since = (d: Date | null) => (d ? Math.max(0, (d.getTime() - r.createdAt.getTime()) / 1000) : null);
    if (r.status === 'APPROVED' || r.status === 'REJECTED') {
      const s = since(r.decidedAt);
      if (s !== null) this.decision.observe({ kind: r.kind, decision: r.status.toLowerCase() }, s);
    }
    if (r.status === 'APPLIED') {
      const s = since(r.appliedAt);
      if (s !== null) this.applied.observe({ kind: r.kind }, s);
    }
  }

  /** A grant's end was made (or found already made by another change); see GrantService.end. */
  grantEnded(how: 'expired' | 'ended' | 'superseded' | 'outside' | 'gone'): void {
    this.grantEnds.inc({ outcome: how });
  }

  /** The active-grants gauge, counted at every scrape like the token gauge. */
  watchGrants(repos: Array<{ countGrants(): Promise<number> }>, log: Log): void {
    new Gauge({
      name: 'keywarden_grants_active', help: 'Time-bound grants in force (permissions and technical users).', registers: [this.registry],
      async collect() {
        try {
          const counts = await withTimeout(Promise.all(repos.map((r) => r.countGrants())), 2000);
          this.set(counts.reduce((a, b) => a + b, 0));
        } catch (err) {
          log.warn({ err }, 'could not count grants for /metrics; showing the last count');
        }
      },
    });
  }

  /** One HTTP exchange with LeanIX ended (`method`: the client's operation, e.g. permissions.list; `status`: the HTTP status, timeout or error). */
  leanixCall(workspace: string, method: string, status: number | 'timeout' | 'error', seconds: number): void {
    this.leanixCalls.inc({ workspace, method, status: String(status) });
    this.leanixCallSeconds.observe({ workspace, method }, Math.max(0, seconds));
  }

  /** A sync of the workspace's mirror finished (LeanixSync's observer). */
  synced(workspace: string, at: Date): void {
    this.leanixLastSync.set({ workspace }, at.getTime() / 1000);
  }

  /** A drift was recorded (once per drift, by the process that wrote its line). */
  driftFound(workspace: string, kind: 'permission' | 'technicalUser'): void {
    this.leanixDrift.inc({ workspace, kind: kind === 'permission' ? 'permission' : 'techuser' });
  }

  /** One job attempt ended. */
  jobEnded(queue: string, job: string, seconds: number, result: 'completed' | 'failed', final = false): void {
    this.jobs.observe({ queue, job, result }, Math.max(0, seconds));
    if (result === 'failed') this.jobFailures.inc({ queue, job, final: String(final) });
  }

  /**
   * The token gauge, read from the store at every scrape (a few indexed counts). A store that
   * does not answer within 2 s leaves the last values in place rather than failing the scrape.
   */
  watchTokens(repo: Pick<TechnicalUserRepository, 'countTokensExpiringBefore'>, now: () => Date, log: Log): void {
    new Gauge({
      name: 'keywarden_api_tokens', help: 'Live (not revoked) API tokens by days to expiry.',
      labelNames: ['days_to_expiry'] as const, registers: [this.registry],
      async collect() {
        const t = now().getTime();
        const bounds = TOKEN_BUCKETS.map(([, days]) => (Number.isFinite(days) ? new Date(t + days * DAY_MS) : END_OF_TIME));
        try {
          const below = await withTimeout(repo.countTokensExpiringBefore(bounds), 2000);
          TOKEN_BUCKETS.forEach(([label], i) => this.set({ days_to_expiry: label }, below[i]! - (i ? below[i - 1]! : 0)));
        } catch (err) {
          log.warn({ err }, 'could not count tokens for /metrics; showing the last counts');
        }
      },
    });
  }

  /** Slack answered a call with 429. */
  slackDropped(reason: string): void {
    this.slackDroppedMessages.inc({ reason });
  }

  slackLimited(method: string): void {
    this.slackLimitedCalls.inc({ method });
  }

  /**
   * The outbound lanes' gauges, read from Redis at every scrape (a few counts per lane). A Redis
   * that does not answer within 2 s leaves the last values in place.
   */
  watchOutbound(read: () => Promise<Array<{ lane: string; backlog: number; oldestSeconds: number }>>, log: Log): void {
    let last: Promise<Array<{ lane: string; backlog: number; oldestSeconds: number }> | null> | null = null;
    // Both gauges are filled from one read per scrape.
    const lanes = () => (last ??= withTimeout(read(), 2000).catch((err: unknown) => {
      log.warn({ err }, 'could not read the outbound backlog for /metrics; showing the last values');
      return null;
    }).finally(() => setImmediate(() => (last = null))));
    const gauge = (name: string, help: string, pick: (l: { backlog: number; oldestSeconds: number }) => number) =>
      new Gauge({
        name, help, labelNames: ['method'] as const, registers: [this.registry],
        async collect() {
          for (const l of (await lanes()) ?? []) this.set({ method: l.lane }, pick(l));
        },
      });
    gauge('keywarden_slack_outbound_backlog', 'Messages waiting their turn at Slack, by outbound lane (Web API method).', (l) => l.backlog);
    gauge('keywarden_slack_outbound_oldest_seconds', 'How long the oldest waiting message of each outbound lane has waited.', (l) => l.oldestSeconds);
  }

  /** The unreviewed technical users (escalated, no owner's answer), read from the store at every scrape. */
  watchReviews(repo: Pick<OwnershipRepository, 'countUnreviewed'>, log: Log): void {
    new Gauge({
      name: 'keywarden_unreviewed_technical_users', help: 'Technical users whose owner did not confirm within 14 days of being asked.',
      registers: [this.registry],
      async collect() {
        try {
          this.set(await withTimeout(repo.countUnreviewed(), 2000));
        } catch (err) {
          log.warn({ err }, 'could not count unreviewed technical users for /metrics; showing the last count');
        }
      },
    });
  }

  /** The text exposition for GET /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
