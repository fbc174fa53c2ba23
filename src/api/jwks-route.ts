/** GET /.well-known/jwks.json: the public keys that verify access tokens still in circulation. */
import type { AccessTokenService } from '../app/access-tokens.js';
import { sendJson } from '../http/http-util.js';
import type { Route } from '../http/server.js';

export const JWKS_PATH = '/.well-known/jwks.json';

export function jwksRoute(deps: { accessTokens: AccessTokenService }): Route {
  return {
    method: 'GET',
    path: JWKS_PATH,
    handler: async (_req, res) => {
      const keys = await deps.accessTokens.publicKeys();
      // Short: a new key should reach verifiers soon (jose's remote sets also refetch on an unknown kid).
      sendJson(res, 200, { keys }, { 'cache-control': 'public, max-age=60' });
    },
  };
}
