/**
 * The permission endpoints of the MTM API, with a Bearer access token:
 *
 *   GET  /services/mtm/v1/workspaces/{id}/permissions?email=&q=&status=
 *   POST /services/mtm/v1/permissions        (body: a permission object as GET returned it)
 *
 * Routes only read and answer: who may do what and the permission rules are the use cases'.
 */
import type { AccessTokenService } from '../app/access-tokens.js';
import { assertMayChange } from '../app/access-tokens.js';
import type { PermissionApiService } from '../app/permission-api.js';
import type { Log } from '../app/ports.js';
import { isPermissionStatus, PERMISSION_STATUSES } from '../domain/permission.js';
import type { Route } from '../http/server.js';
import { authenticate } from './auth.js';
import { enveloped, listEnvelope, oneEnvelope, sendEnvelope } from './envelope.js';
import { HttpError } from './http-error.js';
import { bodyProblems, PermissionBody, permissionJson } from './permission-json.js';
import { pathSegment, queryParams, readJson } from './request.js';

export interface PermissionRouteDeps {
  accessTokens: AccessTokenService;
  permissionApi: PermissionApiService;
  log: Log;
}

export const LIST_PATH = /^\/services\/mtm\/v1\/workspaces\/(?<id>[^/]+)\/permissions$/;
export const UPDATE_PATH = '/services/mtm/v1/permissions';

export function permissionRoutes(deps: PermissionRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: LIST_PATH,
      handler: enveloped(deps.log, async (req, res, params, url) => {
        const caller = await authenticate(req, deps.accessTokens);
        const q = queryParams(url, ['email', 'q', 'status', 'page', 'size'] as const);
        const paging = pageOf(q.page, q.size);
        // An empty value is no filter, as in `?email=&q=&status=`.
        if (q.status && !isPermissionStatus(q.status)) {
          throw new HttpError(400, `status must be one of ${PERMISSION_STATUSES.join(', ')}.`);
        }
        const list = await deps.permissionApi.list(caller, pathSegment(params.id), {
          email: q.email || undefined,
          query: q.q || undefined,
          status: q.status && isPermissionStatus(q.status) ? q.status : undefined,
        });
        const all = list.map(permissionJson);
        // As LeanIX pages (1-indexed, size up to 100), with total counting every match; without
        // page or size, everything at once as before.
        const data = paging ? all.slice((paging.page - 1) * paging.size, paging.page * paging.size) : all;
        sendEnvelope(res, 200, { ...listEnvelope(data), total: all.length });
      }),
    },
    {
      method: 'POST',
      path: UPDATE_PATH,
      handler: enveloped(deps.log, async (req, res) => {
        const caller = await authenticate(req, deps.accessTokens);
        // Before the body is read: a VIEWER or MEMBER token is refused whatever it sends.
        assertMayChange(caller);
        const body = PermissionBody.safeParse(await readJson(req));
        if (!body.success) throw new HttpError(400, bodyProblems(body.error));
        const updated = await deps.permissionApi.update(caller, body.data);
        sendEnvelope(res, 200, oneEnvelope(permissionJson(updated)));
      }),
    },
  ];
}

/** `page` (from 1) and `size` (1 to 100, default 30) as LeanIX's MTM API reads them; null when neither is given. */
function pageOf(page: string | undefined, size: string | undefined): { page: number; size: number } | null {
  if (!page && !size) return null;
  const p = page ? Number(page) : 1;
  const n = size ? Number(size) : 30;
  if (!Number.isInteger(p) || p < 1) throw new HttpError(400, 'page must be a whole number from 1.');
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new HttpError(400, 'size must be a whole number from 1 to 100.');
  return { page: p, size: n };
}
