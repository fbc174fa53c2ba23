/**
 * Requests over the API, decided in Slack (type "Request" in the API's envelope):
 *
 *   POST /services/keywarden/v1/workspaces/{id}/requests                    202 (200 for a self-rotation made at once)
 *   GET  /services/keywarden/v1/workspaces/{id}/requests?status=&cursor=&limit=
 *   GET  /services/keywarden/v1/workspaces/{id}/requests/{requestId}
 */
import type { AccessTokenService } from '../app/access-tokens.js';
import { REQUEST_PAGE_MAX, type ApiRequestService } from '../app/api-requests.js';
import type { Log } from '../app/ports.js';
import { REQUEST_STATUSES, type RequestStatus } from '../domain/request.js';
import { requestJson } from '../app/request-json.js';
import type { Route } from '../http/server.js';
import { authenticate } from './auth.js';
import { enveloped, listEnvelope, oneEnvelope, sendEnvelope } from './envelope.js';
import { HttpError } from './http-error.js';
import { bodyProblems } from './permission-json.js';
import { parseRequestBody, RequestBody } from './request-body.js';
import { pathSegment, queryParams, readJson } from './request.js';
import { isUsageError } from '../slack/grammar/words.js';

export const REQUEST_TYPE = 'Request';
export const REQUESTS_PATH = /^\/services\/keywarden\/v1\/workspaces\/(?<id>[^/]+)\/requests$/;
export const REQUEST_PATH = /^\/services\/keywarden\/v1\/workspaces\/(?<id>[^/]+)\/requests\/(?<requestId>[^/]+)$/;

export interface RequestRouteDeps {
  accessTokens: AccessTokenService;
  apiRequests: ApiRequestService;
  log: Log;
}

export function requestRoutes(deps: RequestRouteDeps): Route[] {
  const { log, accessTokens, apiRequests } = deps;
  return [
    {
      method: 'POST',
      path: REQUESTS_PATH,
      handler: enveloped(log, async (req, res, params) => {
        const caller = await authenticate(req, accessTokens);
        const body = RequestBody.safeParse(await readJson(req));
        if (!body.success) throw new HttpError(400, bodyProblems(body.error));
        const parsed = parseRequestBody(body.data);
        if (isUsageError(parsed)) throw new HttpError(400, parsed.error);
        const done = await apiRequests.submit(caller, pathSegment(params.id), parsed);
        const data = { ...requestJson(done.request, done.deciders), ...(done.token !== null && { token: done.token }) };
        // 200 only when the change is made and its token is in this answer; otherwise it is being decided or applied.
        sendEnvelope(res, done.token !== null ? 200 : 202, oneEnvelope(data, REQUEST_TYPE));
      }, REQUEST_TYPE),
    },
    {
      method: 'GET',
      path: REQUESTS_PATH,
      handler: enveloped(log, async (req, res, params, url) => {
        const caller = await authenticate(req, accessTokens);
        const q = queryParams(url, ['status', 'cursor', 'limit'] as const);
        const status = q.status ? statusOf(q.status) : undefined;
        const limit = q.limit ? pageSize(q.limit) : undefined;
        const page = await apiRequests.list(caller, pathSegment(params.id), status, q.cursor ? decodeCursor(q.cursor) : null, limit);
        sendEnvelope(res, 200, { ...listEnvelope(page.requests.map((r) => requestJson(r)), REQUEST_TYPE), cursor: page.next ? encodeCursor(page.next) : null } as ReturnType<typeof listEnvelope>);
      }, REQUEST_TYPE),
    },
    {
      method: 'GET',
      path: REQUEST_PATH,
      handler: enveloped(log, async (req, res, params) => {
        const caller = await authenticate(req, accessTokens);
        const found = await apiRequests.get(caller, pathSegment(params.id), pathSegment(params.requestId));
        sendEnvelope(res, 200, oneEnvelope(requestJson(found.request, found.deciders), REQUEST_TYPE));
      }, REQUEST_TYPE),
    },
  ];
}

function statusOf(v: string): RequestStatus {
  const up = v.toUpperCase();
  if ((REQUEST_STATUSES as readonly string[]).includes(up)) return up as RequestStatus;
  throw new HttpError(400, `status must be one of ${REQUEST_STATUSES.join(', ')}.`);
}

function pageSize(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > REQUEST_PAGE_MAX) throw new HttpError(400, `limit must be a whole number from 1 to ${REQUEST_PAGE_MAX}.`);
  return n;
}

/** Opaque to callers: base64url of the last request of the page. */
const encodeCursor = (p: { createdAt: Date; id: string }): string =>
  Buffer.from(JSON.stringify({ c: p.createdAt.getTime(), i: p.id })).toString('base64url');

function decodeCursor(c: string): { createdAt: Date; id: string } {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as { c?: unknown; i?: unknown };
    if (Number.isSafeInteger(v.c) && typeof v.i === 'string' && v.i.length <= 100) return { createdAt: new Date(v.c as number), id: v.i };
  } catch {
    // answered below
  }
  throw new HttpError(400, 'The cursor is not one this API gave out; start without it, or use the cursor of the last page.');
}
