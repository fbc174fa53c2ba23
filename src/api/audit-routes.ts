/**
 * The audit trail over HTTP, for an ADMIN technical user's access token of the workspace:
 *
 *   GET /services/keywarden/v1/workspaces/{id}/history?since=&until=&subject=&cursor=&limit=
 *
 * Every history line, oldest first, in the API's envelope with an opaque `cursor` for the next
 * page; the last page (no cursor) carries `chain`, the verification of the workspace's hash chain.
 * With `Accept: application/x-ndjson` the lines are streamed instead, one JSON object per line,
 * the chain's verification last.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessTokenService } from '../app/access-tokens.js';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, assertMayAudit, type AuditFilter, type AuditPosition, type AuditService } from '../app/audit.js';
import type { Log } from '../app/ports.js';
import type { Route } from '../http/server.js';
import { authenticate } from './auth.js';
import { enveloped, errorEnvelope, sendEnvelope } from './envelope.js';
import { HttpError, toHttpError } from './http-error.js';
import { pathSegment, queryParams } from './request.js';

export interface AuditRouteDeps {
  accessTokens: AccessTokenService;
  audit: AuditService;
  log: Log;
}

export const HISTORY_PATH = /^\/services\/keywarden\/v1\/workspaces\/(?<id>[^/]+)\/history$/;
export const HISTORY_TYPE = 'HistoryLine';
const NDJSON = 'application/x-ndjson';

export function auditRoutes(deps: AuditRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: HISTORY_PATH,
      handler: enveloped(deps.log, async (req, res, params, url) => {
        const caller = await authenticate(req, deps.accessTokens);
        const workspaceId = pathSegment(params.id);
        // Before anything is read: a token of another workspace, or not ADMIN, learns nothing.
        assertMayAudit(caller, workspaceId);
        const q = queryParams(url, ['since', 'until', 'subject', 'cursor', 'limit'] as const, 1024);
        const filter: AuditFilter = {
          since: instant(q.since, 'since'),
          until: instant(q.until, 'until'),
          subject: q.subject || undefined,
        };
        const from = q.cursor ? decodeCursor(q.cursor) : null;
        if (wantsNdjson(req)) return stream(deps, res, caller, workspaceId, filter, from);
        const limit = q.limit ? pageSize(q.limit) : AUDIT_PAGE_DEFAULT;
        const page = await deps.audit.page(caller, workspaceId, filter, from, limit);
        // The envelope, with where the next page starts and (on the last page) the chain's check.
        const body = {
          status: 'OK' as const, type: HISTORY_TYPE, errors: [], total: page.lines.length, data: page.lines,
          cursor: page.next ? encodeCursor(page.next) : null, chain: page.chain,
        };
        sendEnvelope(res, 200, body);
      }, HISTORY_TYPE),
    },
  ];
}

/**
 * Every line from `from` on, page by page, written as it is read (waiting for the socket to drain,
 * so a slow reader holds one page in memory, not the history). A failure after the first byte can
 * no longer change the status: it is the stream's last line, in the envelope's error shape.
 */
async function stream(
  deps: AuditRouteDeps, res: ServerResponse, caller: Parameters<AuditService['page']>[0], workspaceId: string,
  filter: AuditFilter, from: AuditPosition | null,
): Promise<void> {
  // The first page is read before the headers go out, so its errors still get their status.
  let page = await deps.audit.page(caller, workspaceId, filter, from, AUDIT_PAGE_MAX);
  res.writeHead(200, { 'content-type': `${NDJSON}; charset=utf-8`, 'cache-control': 'no-store' });
  try {
    for (;;) {
      for (const line of page.lines) await write(res, JSON.stringify(line) + '\n');
      if (!page.next) break;
      page = await deps.audit.page(caller, workspaceId, filter, page.next, AUDIT_PAGE_MAX);
    }
    await write(res, JSON.stringify({ type: 'ChainVerification', ...page.chain }) + '\n');
  } catch (err) {
    const e = toHttpError(err);
    if (!e) deps.log.error({ err, workspaceId }, 'the audit stream failed');
    await write(res, JSON.stringify(errorEnvelope(e ? e.messages : ['Internal error; it has been logged. The stream is incomplete.'], HISTORY_TYPE)) + '\n').catch(() => undefined);
  }
  res.end();
}

function write(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the client went away'));
  return res.write(text) ? Promise.resolve() : new Promise((resolve, reject) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', gone);
      resolve();
    };
    const gone = () => {
      res.off('drain', done);
      reject(new Error('the client went away'));
    };
    res.once('drain', done);
    res.once('close', gone);
  });
}

const wantsNdjson = (req: IncomingMessage): boolean =>
  (req.headers.accept ?? '').split(',').some((t) => t.split(';')[0]!.trim().toLowerCase() === NDJSON);

function instant(v: string | undefined, name: string): Date | undefined {
  if (!v) return undefined;
  const d = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v) ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw new HttpError(400, `${name} must be a date or an ISO 8601 instant, e.g. 2026-03-01 or 2026-03-01T12:00:00Z.`);
  return d;
}

function pageSize(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > AUDIT_PAGE_MAX) throw new HttpError(400, `limit must be a whole number from 1 to ${AUDIT_PAGE_MAX}.`);
  return n;
}

/** The cursor is opaque to callers: base64url of where the next page starts. */
export const encodeCursor = (p: AuditPosition): string => Buffer.from(JSON.stringify({ w: p.workspaceId, s: p.afterSeq })).toString('base64url');

function decodeCursor(c: string): AuditPosition {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as { w?: unknown; s?: unknown };
    if (typeof v.w === 'string' && Number.isSafeInteger(v.s) && (v.s as number) >= 0) return { workspaceId: v.w, afterSeq: v.s as number };
  } catch {
    // answered below
  }
  throw new HttpError(400, 'The cursor is not one this API gave out; start without it, or use the cursor of the last page.');
}
