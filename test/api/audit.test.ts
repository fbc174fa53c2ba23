/**
 * The audit trail endpoint against the running app: pages in the envelope with an opaque cursor,
 * NDJSON streaming, the chain's verification on the last page, and every refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyEntry } from '../store/contract.js';
import { TestClock } from '../helpers/clock.js';
import { startTestApp, WS2_ID, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { accessTokenFor, addTechnicalUser, call } from './api-client.js';

const clock = new TestClock();
let t: TestApp;
let base: string;
let adminJwt: string;
let viewerJwt: string;
let otherWsAdminJwt: string;

const path = (ws = WS_ID, query = '') => `/services/keywarden/v1/workspaces/${ws}/history${query}`;
const get = (query = '', bearer = adminJwt, ws = WS_ID, headers: Record<string, string> = {}) => call(base, 'GET', path(ws, query), { bearer, headers });
const at = (m: number) => new Date(Date.UTC(2026, 2, 1, 10, m));

beforeAll(async () => {
  t = await startTestApp({ options: { clock } });
  base = t.kw.url!;
  const add = (workspaceId: string, role: 'VIEWER' | 'ADMIN', userName: string) =>
    addTechnicalUser(t.store, { workspaceId, role, userName, now: clock.now() });
  adminJwt = await accessTokenFor(base, (await add(WS_ID, 'ADMIN', 'auditor')).token);
  viewerJwt = await accessTokenFor(base, (await add(WS_ID, 'VIEWER', 'peeker')).token);
  otherWsAdminJwt = await accessTokenFor(base, (await add(WS2_ID, 'ADMIN', 'other-auditor')).token);
  for (let i = 1; i <= 7; i++) {
    await t.store.history.append(historyEntry({
      id: `line-${i}`, workspaceId: WS_ID, at: at(i), action: `a${i}`,
      subject: i % 2 ? { type: 'technicalUser', id: 'tu-1', label: 'ci-bot' } : { type: 'permission', id: 'p-1', label: 'jane@x.de' },
    }));
  }
  await t.store.history.append(historyEntry({ id: 'elsewhere', workspaceId: WS2_ID, at: at(1) }));
});
afterAll(async () => {
  await t?.stop();
});

describe('GET /services/keywarden/v1/workspaces/{id}/history', () => {
  it('pages every line oldest first with an opaque cursor; the last page says the chain is whole', async () => {
    const first = await get('?limit=3');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.json).toMatchObject({ status: 'OK', type: 'HistoryLine', errors: [], total: 3, chain: null });
    expect(first.json.data.map((l: any) => [l.seq, l.id])).toEqual([[1, 'line-1'], [2, 'line-2'], [3, 'line-3']]);
    expect(first.json.data[1].prevHash).toBe(first.json.data[0].hash);
    const seen = [...first.json.data];
    let cursor = first.json.cursor as string;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    for (;;) {
      const page = await get(`?limit=3&cursor=${cursor}`);
      expect(page.status).toBe(200);
      seen.push(...page.json.data);
      if (!page.json.cursor) {
        expect(page.json.chain).toMatchObject({ workspaceId: WS_ID, whole: true, lines: 7, problems: [], head: { seq: 7, hash: seen.at(-1).hash } });
        break;
      }
      cursor = page.json.cursor;
    }
    expect(seen.map((l) => l.id)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `line-${i}`));
  });

  it('filters by time and by subject (id or label), keeping the chain fields', async () => {
    const since = await get(`?since=${encodeURIComponent(at(6).toISOString())}`);
    expect(since.json.data.map((l: any) => l.id)).toEqual(['line-6', 'line-7']);
    const until = await get('?until=2026-03-01T10:03:00Z');
    expect(until.json.data.map((l: any) => l.id)).toEqual(['line-1', 'line-2']);
    const subject = await get('?subject=jane%40x.de');
    expect(subject.json.data.map((l: any) => l.seq)).toEqual([2, 4, 6]);
    expect(subject.json.chain.whole).toBe(true);
  });

  it('streams NDJSON on Accept: application/x-ndjson, the verification last', async () => {
    const a = await get('', adminJwt, WS_ID, { accept: 'application/x-ndjson' });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const rows = a.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.slice(0, -1).map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `line-${i}`));
    expect(rows.at(-1)).toMatchObject({ type: 'ChainVerification', whole: true, lines: 7 });
  });

  it('names a line changed in the store on the last page', async () => {
    const victim = (await t.store.history.listByWorkspace(WS2_ID, { afterSeq: 0, limit: 1 }))[0]!;
    // Tampering as someone with write access to the store would: the memory store's line, in place.
    const stored = (t.store.history as unknown as { byWorkspace: Map<string, any[]> }).byWorkspace.get(WS2_ID)![0];
    stored.action = 'nothing to see';
    const a = await get('', otherWsAdminJwt, WS2_ID);
    expect(a.json.chain).toMatchObject({ whole: false, problems: [expect.objectContaining({ kind: 'changed', seq: 1, id: victim.id })] });
    stored.action = victim.action;
  });

  it('refuses a missing or bad token (401), another workspace\'s or a non-ADMIN token (403), bad parameters (400)', async () => {
    expect((await call(base, 'GET', path())).status).toBe(401);
    expect((await get('', 'not-a-jwt')).status).toBe(401);
    const other = await get('', otherWsAdminJwt);
    expect(other.status).toBe(403);
    expect(other.json.data).toBeNull();
    const viewer = await get('', viewerJwt);
    expect(viewer.status).toBe(403);
    expect(viewer.json.errors[0].message).toMatch(/only ADMIN technical users may read the audit trail/);
    for (const q of ['?since=yesterday', '?limit=0', '?limit=5000', '?cursor=!!', '?cursor=e30', '?foo=1', '?subject=a&subject=b']) {
      const a = await get(q);
      expect(a.status, q).toBe(400);
      expect(a.json.status).toBe('ERROR');
    }
    const foreign = Buffer.from(JSON.stringify({ w: WS2_ID, s: 0 })).toString('base64url');
    expect((await get(`?cursor=${foreign}`)).status).toBe(400);
  });

  it('keeps the envelope for a wrong method and an unknown path under /services/keywarden', async () => {
    const post = await call(base, 'POST', path(), { bearer: adminJwt, body: {} });
    expect(post.status).toBe(405);
    expect(post.json.status).toBe('ERROR');
    const unknown = await get('', adminJwt, WS_ID).then(() => call(base, 'GET', '/services/keywarden/v1/nothing', { bearer: adminJwt }));
    expect(unknown.status).toBe(404);
    expect(unknown.json.status).toBe('ERROR');
  });
});
