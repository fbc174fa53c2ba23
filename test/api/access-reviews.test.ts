/**
 * Access-review evidence against the running app: the campaigns and a campaign's items in the
 * envelope, paged with an opaque cursor; the items as CSV (parsed back with csv-parse: a header
 * row, one row per item, RFC 4180 quoting, formula cells made inert); refusals as the audit
 * trail's; and the reviews' lines in the workspace's hash chain, which stays whole.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/api/review-routes.js';
import { REVIEW, reviewSeed } from '../helpers/access-reviews.js';
import { APPROVER1, startTestApp, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, call } from './api-client.js';

let t: TestApp;
let base: string;
let adminJwt: string;
let viewerJwt: string;
let otherJwt: string;
let campaignId: string;

const HOSTILE = [
  { email: '=cmd@evil.example', firstName: '=HYPERLINK("http://evil.example")', lastName: '', role: 'MEMBER', status: 'ACTIVE' },
  { email: '+plus@evil.example', firstName: '@SUM(A1)', lastName: 'x', role: 'MEMBER', status: 'ACTIVE' },
  { email: '-minus@evil.example', firstName: 'Quote "the" comma, and', lastName: 'line\r\nbreak', role: 'ADMIN', status: 'ACTIVE' },
];

beforeAll(async () => {
  const seed = reviewSeed();
  seed.workspaces[0]!.users.push(...(HOSTILE as never[]));
  t = await startTestApp({ seed });
  base = t.kw.url!;
  const add = async (workspaceId: string, role: 'VIEWER' | 'ADMIN', userName: string) =>
    accessTokenFor(base, (await addTechnicalUser(t.store, { workspaceId, role, userName, now: new Date() })).token);
  [adminJwt, viewerJwt, otherJwt] = await Promise.all([add(WS_ID, 'ADMIN', 'auditor'), add(WS_ID, 'VIEWER', 'peeker'), add(WS2_ID, 'ADMIN', 'other')]);
  await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER1 && String(c.args.text).includes(REVIEW), 10_000);
  expect(await t.answer((await t.command(APPROVER1, `review stop ${REVIEW}`)).responseId)).toMatch(/stopped/);
  campaignId = (await t.store.accessReviews.listCampaigns(WS_ID, { limit: 1 }))[0]!.id;
});
afterAll(async () => {
  await t?.stop();
});

const reviews = (suffix = '') => `/services/keywarden/v1/workspaces/${WS_ID}/reviews${suffix}`;

describe('access-review evidence', () => {
  it('lists the campaigns with their counts, for ADMIN technical users of the workspace only', async () => {
    const list = await call(base, 'GET', reviews(), { bearer: adminJwt });
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ status: 'OK', type: 'AccessReview', total: 1, cursor: null });
    expect(list.json.data[0]).toMatchObject({ id: campaignId, name: REVIEW, status: 'STOPPED', itemCount: 5, counts: { total: 5, unreviewed: 5 } });
    expect((await call(base, 'GET', reviews(), { bearer: viewerJwt })).status).toBe(403);
    expect((await call(base, 'GET', reviews(), { bearer: otherJwt })).status).toBe(403);
    expect((await call(base, 'GET', reviews())).status).toBe(401);
    const missing = await call(base, 'GET', reviews('/7c3f1a52-9d1e-4b8a-8e11-2f5d3c9a0b77'), { bearer: adminJwt });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ status: 'ERROR', type: 'AccessReview' });
    expect((await call(base, 'GET', reviews(`/${campaignId}?cursor=nope`), { bearer: adminJwt })).status).toBe(400);
  });

  it('pages a campaign\'s items in order with a cursor', async () => {
    const seqs: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(base, 'GET', reviews(`/${campaignId}?limit=2${cursor ? `&cursor=${cursor}` : ''}`), { bearer: adminJwt });
      expect(page.status).toBe(200);
      expect(page.json.data.campaign).toMatchObject({ id: campaignId, name: REVIEW });
      seqs.push(...page.json.data.items.map((i: any) => i.seq));
      cursor = page.json.cursor;
    } while (cursor);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives the items as CSV that parses back to what is stored, with formula cells made inert', async () => {
    const res = await fetch(`${base}${reviews(`/${campaignId}`)}`, { headers: { authorization: `Bearer ${adminJwt}`, accept: 'text/csv' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const rows: string[][] = parse(text, { relax_column_count: false });
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(1 + 5);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    const emails = rows.slice(1).map((r) => r[col('email')]);
    expect(emails).toEqual(["'+plus@evil.example", "'-minus@evil.example", "'=cmd@evil.example", 'jane.roe@meshlab.de', 'john.doe@meshlab.de']);
    const byEmail = new Map(rows.slice(1).map((r) => [r[col('email')], r]));
    expect(byEmail.get("'=cmd@evil.example")![col('name')]).toBe('\'=HYPERLINK("http://evil.example")');
    expect(byEmail.get("'+plus@evil.example")![col('name')]).toBe("'@SUM(A1) x");
    expect(byEmail.get("'-minus@evil.example")![col('name')]).toBe('Quote "the" comma, and line\r\nbreak');
    for (const r of rows.slice(1)) {
      expect(r[col('decision')]).toBe('unreviewed');
      expect(r[col('how')]).toBe('stopped');
      expect(r[col('campaign_id')]).toBe(campaignId);
      for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('has every start, decision and end in the workspace\'s chain, which stays whole', async () => {
    const lines: any[] = [];
    let cursor: string | null = null;
    let chain: any = null;
    do {
      const page = await call(base, 'GET', `/services/keywarden/v1/workspaces/${WS_ID}/history?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { bearer: adminJwt });
      lines.push(...page.json.data);
      cursor = page.json.cursor;
      chain = page.json.chain;
    } while (cursor);
    expect(lines.filter((l) => l.action.startsWith('accessReview.')).map((l) => l.action)).toEqual([
      'accessReview.started', ...Array(5).fill('accessReview.unreviewed'), 'accessReview.stopped',
    ]);
    expect(chain).toMatchObject({ whole: true, problems: [] });
  });
});
