/**
 * The HTTP API's routes, for the one server: the token exchange, the JWKS, the MTM permission
 * endpoints and Keywarden's own (grants, the audit trail). Under /services/mtm/ and
 * /services/keywarden/ every answer, 404 and 405 included, keeps the MTM envelope.
 */
import type { AccessTokenService } from '../app/access-tokens.js';
import type { ApiRequestService } from '../app/api-requests.js';
import type { AuditService } from '../app/audit.js';
import type { GrantApiService } from '../app/grant-api.js';
import type { PermissionApiService } from '../app/permission-api.js';
import type { Log } from '../app/ports.js';
import type { Route } from '../http/server.js';
import { auditRoutes, HISTORY_TYPE } from './audit-routes.js';
import { REVIEW_TYPE, reviewRoutes } from './review-routes.js';
import type { AccessReviewEvidence } from '../app/access-review-evidence.js';
import { enveloped, errorEnvelope, sendEnvelope } from './envelope.js';
import { GRANT_TYPE, grantRoutes } from './grant-routes.js';
import { jwksRoute } from './jwks-route.js';
import { permissionRoutes } from './permission-routes.js';
import { REQUEST_TYPE, requestRoutes } from './request-routes.js';
import type { TokenExchangeGuard } from './token-limits.js';
import { tokenRoute } from './token-route.js';

export interface ApiDeps {
  accessTokens: AccessTokenService;
  permissionApi: PermissionApiService;
  grantApi: GrantApiService;
  audit: AuditService;
  apiRequests: ApiRequestService;
  accessReviewEvidence: AccessReviewEvidence;
  log: Log;
  /** Rate limits of the token exchange (none when absent). */
  tokenGuard?: TokenExchangeGuard;
}

const MTM = /^\/services\/mtm(\/|$)/;
const KEYWARDEN = /^\/services\/keywarden(\/|$)/;

export function apiRoutes(deps: ApiDeps): Route[] {
  const grants = grantRoutes(deps);
  const audits = auditRoutes(deps);
  const requests = requestRoutes(deps);
  const reviews = reviewRoutes(deps);
  const routes = [tokenRoute(deps), ...permissionRoutes(deps), ...grants, ...audits, ...requests, ...reviews];
  const typeOf = (r: Route) => (grants.includes(r) ? GRANT_TYPE : audits.includes(r) ? HISTORY_TYPE : requests.includes(r) ? REQUEST_TYPE : reviews.includes(r) ? REVIEW_TYPE : undefined);
  // The other method on a known path: 405 (the router itself would answer outside the envelope).
  const wrongMethod: Route[] = routes.map((r) => ({
    method: r.method === 'GET' ? 'POST' : 'GET',
    path: r.path,
    handler: enveloped(deps.log, (_req, res) =>
      sendEnvelope(res, 405, errorEnvelope([`Use ${r.method} here.`], typeOf(r)), { allow: r.method }),
    typeOf(r)),
  }));
  const notFound = (method: Route['method'], path: RegExp, type?: string): Route => ({
    method,
    path,
    handler: (_req, res, _params, url) =>
      sendEnvelope(res, 404, errorEnvelope([`There is no ${method} ${url.pathname.slice(0, 200)} in this API.`], type)),
  });
  return [
    ...routes, ...wrongMethod,
    notFound('GET', MTM), notFound('POST', MTM), notFound('GET', KEYWARDEN, GRANT_TYPE), notFound('POST', KEYWARDEN, GRANT_TYPE),
    jwksRoute(deps),
  ];
}
