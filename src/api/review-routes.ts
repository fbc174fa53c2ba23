/**
 * Access-review evidence over HTTP, for an ADMIN technical user's access token of the workspace
 * (authenticated as the audit trail is):
 *
 *   GET /services/keywarden/v1/workspaces/{id}/reviews?cursor=&limit=                 campaigns, newest first
 *   GET /services/keywarden/v1/workspaces/{id}/reviews/{campaignId}?cursor=&limit=    the campaign and its items
 *
 * JSON in the API's envelope with an opaque `cursor` for the next page; or, with `Accept:
 * text/csv`, the campaign's items as CSV (a header row, one row per item), streamed a page at a
 * time from the store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessTokenService } from '../app/access-tokens.js';
import { EVIDENCE_PAGE_MAX, type AccessReviewEvidence, type CampaignEvidence } from '../app/access-review-evidence.js';
import type { Log } from '../app/ports.js';
import type { CampaignItem } from '../domain/access-review.js';
import type { Route } from '../http/server.js';
import { authenticate } from './auth.js';
import { csvRecord } from './csv.js';
import { enveloped, sendEnvelope } from './envelope.js';
import { HttpError } from './http-error.js';
import { pathSegment, queryParams } from './request.js';

export interface ReviewRouteDeps {
  accessTokens: AccessTokenService;
  accessReviewEvidence: AccessReviewEvidence;
  log: Log;
}

export const REVIEWS_PATH = /^\/services\/keywarden\/v1\/workspaces\/(?<id>[^/]+)\/reviews$/;
export const REVIEW_PATH = /^\/services\/keywarden\/v1\/workspaces\/(?<id>[^/]+)\/reviews\/(?<campaignId>[^/]+)$/;
export const REVIEW_TYPE = 'AccessReview';
const PAGE_DEFAULT = 100;

export const CSV_COLUMNS = [
  'campaign_id', 'campaign', 'seq', 'email', 'name', 'role', 'status', 'last_login', 'role_since', 'role_request', 'role_asked_by',
  'role_approved_by', 'grant_until', 'decision', 'new_role', 'reviewer', 'decided_at', 'how', 'unreviewed_action', 'flagged', 'request_id',
] as const;

export function reviewRoutes(deps: ReviewRouteDeps): Route[] {
  const evidence = deps.accessReviewEvidence;
  return [
    {
      method: 'GET', path: REVIEWS_PATH,
      handler: enveloped(deps.log, async (req, res, params, url) => {
        const caller = await authenticate(req, deps.accessTokens);
        const q = queryParams(url, ['cursor', 'limit'] as const, 256);
        const before = q.cursor ? decode(q.cursor, (v) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : null)) : undefined;
        const limit = q.limit ? pageSize(q.limit) : PAGE_DEFAULT;
        const list = await evidence.campaigns(caller, pathSegment(params.id), before, limit);
        const next = list.length === limit ? encode(list.at(-1)!.startedAt.toISOString()) : null;
        const body = { status: 'OK' as const, type: REVIEW_TYPE, errors: [], total: list.length, data: list.map(campaignJson), cursor: next };
        sendEnvelope(res, 200, body);
      }, REVIEW_TYPE),
    },
    {
      method: 'GET', path: REVIEW_PATH,
      handler: enveloped(deps.log, async (req, res, params, url) => {
        const caller = await authenticate(req, deps.accessTokens);
        const c = await evidence.campaign(caller, pathSegment(params.id), pathSegment(params.campaignId));
        const q = queryParams(url, ['cursor', 'limit'] as const, 256);
        const after = q.cursor ? decode(q.cursor, (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : null)) : 0;
        if (wantsCsv(req)) return streamCsv(res, (a, n) => evidence.items(caller, c, a, n), c.name);
        const limit = q.limit ? pageSize(q.limit) : PAGE_DEFAULT;
        const items = await evidence.items(caller, c, after, limit);
        const next = items.length === limit ? encode(items.at(-1)!.seq) : null;
        const body = { status: 'OK' as const, type: REVIEW_TYPE, errors: [], total: items.length, data: { campaign: campaignJson(c), items: items.map(itemJson) }, cursor: next };
        sendEnvelope(res, 200, body);
      }, REVIEW_TYPE),
    },
  ];
}

/** Every item, a page at a time, written as it is read (a slow reader holds one page, not the campaign). */
async function streamCsv(res: ServerResponse, page: (afterSeq: number, limit: number) => Promise<CampaignItem[]>, name: string): Promise<void> {
  let items = await page(0, EVIDENCE_PAGE_MAX); // read before the headers: its errors keep their status
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8; header=present', 'cache-control': 'no-store',
    'content-disposition': `attachment; filename="access-review-${name}.csv"`,
  });
  await write(res, csvRecord(CSV_COLUMNS));
  for (;;) {
    for (const i of items) await write(res, csvRecord(csvRow(name, i)));
    if (items.length < EVIDENCE_PAGE_MAX) break;
    items = await page(items.at(-1)!.seq, EVIDENCE_PAGE_MAX);
  }
  res.end();
}

export function csvRow(name: string, i: CampaignItem): Array<string | number | null> {
  const d = i.decision;
  return [
    i.campaignId, name, i.seq, i.email, i.name, i.role, i.status, iso(i.lastLogin), iso(i.origin?.at ?? null), i.origin?.requestId ?? null,
    i.origin?.requester ?? null, i.origin?.approvers.join(' ') ?? null, iso(i.grant?.until ?? null), d?.verdict ?? 'undecided', d?.role ?? null,
    d?.by ?? null, iso(d?.at ?? null), d?.how ?? null, d?.verdict === 'unreviewed' ? d.action : null,
    d?.verdict === 'unreviewed' && d.action === 'keep' ? 'unreviewed' : null, d?.requestId ?? null,
  ];
}

function campaignJson(c: CampaignEvidence) {
  const { openKey: _o, steps: _s, version: _v, closing: _c, ...rest } = c;
  return rest;
}

function itemJson(i: CampaignItem) {
  const { version: _v, campaignId: _c, workspaceId: _w, ...rest } = i;
  const d = i.decision;
  return { ...rest, flagged: d?.verdict === 'unreviewed' && d.action === 'keep' };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function write(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the client went away'));
  return res.write(text) ? Promise.resolve() : new Promise((resolve, reject) => {
    res.once('drain', resolve);
    res.once('close', () => reject(new Error('the client went away')));
  });
}

const wantsCsv = (req: IncomingMessage): boolean =>
  (req.headers.accept ?? '').split(',').some((t) => t.split(';')[0]!.trim().toLowerCase() === 'text/csv');

function pageSize(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > EVIDENCE_PAGE_MAX) throw new HttpError(400, `limit must be a whole number from 1 to ${EVIDENCE_PAGE_MAX}.`);
  return n;
}

const encode = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

function decode<T>(c: string, read: (v: unknown) => T | null): T {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  const out = read(v);
  if (out === null) throw new HttpError(400, 'The cursor is not one this API gave out; start without it, or use the cursor of the last page.');
  return out;
}
