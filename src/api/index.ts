/**
 * The HTTP API's routes, for the one server: the token exchange, the JWKS and the MTM permission
 * endpoints. Under /services/mtm/ every answer, 404 and 405 included, keeps the MTM envelope.
 */
import type { AccessTokenService } from '../app/access-tokens.js';
import type { PermissionApiService } from '../app/permission-api.js';
import type { Log } from '../app/ports.js';
import type { Route } from '../http/server.js';
import { enveloped, errorEnvelope, sendEnvelope } from './envelope.js';
import { jwksRoute } from './jwks-route.js';
import { permissionRoutes } from './permission-routes.js';
import type { TokenExchangeGuard } from './token-limits.js';
import { tokenRoute } from './token-route.js';

export interface ApiDeps {
  accessTokens: AccessTokenService;
  permissionApi: PermissionApiService;
  log: Log;
  /** Rate limits of the token exchange (none when absent). */
  tokenGuard?: TokenExchangeGuard;
}

const MTM = /^\/services\/mtm(\/|$)/;

export function apiRoutes(deps: ApiDeps): Route[] {
  const routes = [tokenRoute(deps), ...permissionRoutes(deps)];
  // The other method on a known path: 405 (the router itself would answer outside the envelope).
  const wrongMethod: Route[] = routes.map((r) => ({
    method: r.method === 'GET' ? 'POST' : 'GET',
    path: r.path,
    handler: enveloped(deps.log, (_req, res) =>
      sendEnvelope(res, 405, errorEnvelope([`Use ${r.method} here.`]), { allow: r.method }),
    ),
  }));
  const notFound = (method: Route['method']): Route => ({
    method,
    path: MTM,
    handler: (_req, res, _params, url) =>
      sendEnvelope(res, 404, errorEnvelope([`There is no ${method} ${url.pathname.slice(0, 200)} in this API.`])),
  });
  return [...routes, ...wrongMethod, notFound('GET'), notFound('POST'), jwksRoute(deps)];
}
