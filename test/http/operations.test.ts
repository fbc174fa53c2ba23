/**
 * The operator's endpoints of a running Keywarden: /metrics after a real flow (request, approval,
 * queue job, applied), and Bull Board, which is off without credentials and behind HTTP Basic
 * with them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeywardenMetrics } from '../../src/metrics/metrics.js';
import { listenForOperations, metricsRoute } from '../../src/http/operations.js';
import { createLog } from '../../src/log.js';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, APPROVER1, LogCapture, startTestApp, type TestApp } from '../helpers/keywarden.js';

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
};
const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('counts requests by kind and outcome, times decision and application, and the apply job', async () => {
    const sent = await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN');
    const short = /Request ([0-9a-f]{8})/.exec(await t.answer(sent.responseId))![1]!;
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks).includes(short));
    const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value;
    await t.click(ids.APPROVE, id, APPROVER1);

    // The job's metric lands when the worker reports it done, a moment after the request is APPLIED.
    let body = '';
    for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      body = (await get(`${t.kw.url}/metrics`)).text;
      if (/keywarden_job_duration_seconds_count\{queue="apply",job="apply",result="completed"\} 1/.test(body)) break;
    }
    for (const outcome of ['submitted', 'approved', 'applied']) {
      expect(body).toContain(`keywarden_requests_total{kind="permission.role",outcome="${outcome}"} 1`);
    }
    expect(body).toContain('keywarden_request_decision_seconds_count{kind="permission.role",decision="approved"} 1');
    expect(body).toContain('keywarden_request_applied_seconds_count{kind="permission.role"} 1');
    expect(body).toContain('keywarden_job_duration_seconds_count{queue="apply",job="apply",result="completed"} 1');
    expect(body).toContain('# TYPE keywarden_job_failures_total counter');
    for (const bucket of ['expired', '0-1', '1-7', '7-30', '30-90', '90+']) {
      expect(body).toMatch(new RegExp(`keywarden_api_tokens\\{days_to_expiry="${bucket.replace('+', '\\+')}"\\} \\d+`));
    }
    // prom-client's process metrics, and no secret anywhere.
    expect(body).toContain('process_cpu_user_seconds_total');
    expect(body).not.toMatch(/xox[bp]-|lxt_/);
  });

  it('answers in the Prometheus text format', async () => {
    const res = await get(`${t.kw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('Bull Board is off without credentials: /admin/queues does not exist', async () => {
    expect((await get(`${t.kw.url}/admin/queues`)).status).toBe(404);
    expect((await get(`${t.kw.url}/admin/queues/api/queues`, basic('ops', 'anything-at-all'))).status).toBe(404);
  });
});

describe('Bull Board with credentials, and METRICS_TOKEN', () => {
  let t: TestApp;
  const USER = 'ops';
  const PASS = 'correct-horse-battery-staple';
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
  beforeAll(async () => {
    // TRUSTED_PROXIES=1: each test below can be its own client address through X-Forwarded-For.
    t = await startTestApp({ env: { BULL_BOARD_USERNAME: USER, BULL_BOARD_PASSWORD: PASS, METRICS_TOKEN, TRUSTED_PROXIES: '1' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('asks for credentials, and refuses wrong ones with a 401 that says nothing more', async () => {
    const none = await get(`${t.kw.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="Keywarden queues", charset="UTF-8"');
    for (const [u, p] of [[USER, 'wrong-password-123'], ['root', PASS], [USER, `${PASS}x`], ['', '']]) {
      const res = await get(`${t.kw.url}/admin/queues/api/queues`, basic(u!, p!));
      expect(res.status).toBe(401);
      expect(res.text).toBe('Authentication required.');
    }
    expect((await get(`${t.kw.url}/admin/queues`, { authorization: 'Bearer abc' })).status).toBe(401);
    expect(t.logs.text).toContain('AUTH.ADMIN_CREDENTIALS');
  });

  it('serves the board and its API with the right credentials', async () => {
    const page = await get(`${t.kw.url}/admin/queues`, basic(USER, PASS));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('/admin/queues');
    const api = await get(`${t.kw.url}/admin/queues/api/queues`, basic(USER, PASS));
    expect(api.status).toBe(200);
    const names = (JSON.parse(api.text).queues as Array<{ name: string }>).map((q) => q.name).sort();
    expect(names).toEqual(['apply', 'maintenance']);
  });

  it('locks an address out after 10 failed logins, right credentials included, and no other address', async () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    // Asking without credentials (the browser's first request) is not a failed login.
    for (let i = 0; i < 12; i++) expect((await get(`${t.kw.url}/admin/queues`, from('203.0.113.7'))).status).toBe(401);
    for (let i = 0; i < 10; i++) {
      expect((await get(`${t.kw.url}/admin/queues`, { ...basic(USER, `guess-${i}-xxxxxxx`), ...from('203.0.113.7') })).status).toBe(401);
    }
    const locked = await get(`${t.kw.url}/admin/queues`, { ...basic(USER, PASS), ...from('203.0.113.7') });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(locked.text).not.toContain('queues');
    expect((await get(`${t.kw.url}/admin/queues`, { ...basic(USER, PASS), ...from('203.0.113.8') })).status).toBe(200);
    expect(t.logs.text).toContain('AUTH.ADMIN_LOCKED_OUT');
  });

  it('answers /metrics only with the bearer token', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${METRICS_TOKEN}` }, { authorization: `Bearer ${METRICS_TOKEN}x` }]) {
      const res = await get(`${t.kw.url}/metrics`, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="Keywarden metrics"');
      expect(res.text).not.toContain('keywarden_');
    }
    const ok = await get(`${t.kw.url}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('keywarden_requests_total');
    expect(t.logs.text).toContain('AUTH.METRICS_TOKEN');
  });
});

describe('listenForOperations (a ROLE=worker process\'s server)', () => {
  it('serves /metrics on its own port', async () => {
    const metrics = new KeywardenMetrics({ defaultMetrics: false });
    metrics.jobEnded('maintenance', 'sweep-approved', 0.02, 'failed', false);
    const server = await listenForOperations(0, [metricsRoute(metrics)], createLog('silent', new LogCapture()));
    try {
      const res = await get(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('keywarden_job_failures_total{queue="maintenance",job="sweep-approved",final="false"} 1');
    } finally {
      await server.close();
    }
  });
});
