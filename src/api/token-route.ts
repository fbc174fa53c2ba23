/**
 * POST /services/mtm/v1/oauth2/token: the client-credentials grant. HTTP Basic `apitoken:<API
 * token>`, `grant_type=client_credentials` in the form body or the query string. Errors follow
 * OAuth 2.0 (RFC 6749 section 5.2: `error`, `error_description`), which token clients understand;
 * every refused API token gets the very same 401, whatever the reason.
 */
import type { ServerResponse } from 'node:http';
import type { AccessTokenService } from '../app/access-tokens.js';
import type { Log } from '../app/ports.js';
import { sendJson } from '../http/http-util.js';
import type { Route } from '../http/server.js';
import { logRefusal } from '../app/refusal.js';
import { Codes } from '../domain/errors.js';
import { hashApiToken } from '../domain/api-token.js';
import { basicApiToken } from './auth.js';
import { HttpError, toHttpError } from './http-error.js';
import { readBody } from './request.js';
import { RateLimitedError, type TokenExchangeGuard } from './token-limits.js';
import { clientAddress } from '../http/client-address.js';

export const TOKEN_PATH = '/services/mtm/v1/oauth2/token';
const GRANT = 'client_credentials';
const FORM = 'application/x-www-form-urlencoded';
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function tokenRoute(deps: { accessTokens: AccessTokenService; log: Log; tokenGuard?: TokenExchangeGuard }): Route {
  return {
    method: 'POST',
    path: TOKEN_PATH,
    handler: async (req, res, _params, url) => {
      // Who tried, for the refusal log: the address, and a prefix of the hash of the token they sent.
      const who: { address: string; tokenHash?: string } = { address: clientAddress(req) };
      const what = { method: 'POST', path: TOKEN_PATH };
      try {
        // Counted before the body is read: a flood is turned away at the cheapest point. A request
        // without usable credentials still counts against its address.
        let apiToken: string;
        try {
          apiToken = basicApiToken(req.headers.authorization);
        } catch (err) {
          await deps.tokenGuard?.checkAddress(who.address);
          throw err;
        }
        who.tokenHash = hashApiToken(apiToken).slice(0, 12);
        await deps.tokenGuard?.check(who.address, apiToken);
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const body = await readBody(req);
        if (body.trim() !== '' && type !== FORM) {
          throw new HttpError(400, `Send grant_type=${GRANT} as ${FORM} (or in the query string).`);
        }
        checkGrant([...new URLSearchParams(body).getAll('grant_type'), ...url.searchParams.getAll('grant_type')]);
        const issued = await deps.accessTokens.exchange(apiToken);
        sendJson(
          res,
          200,
          { scope: '', expired: false, access_token: issued.accessToken, token_type: 'bearer', expires_in: issued.expiresIn },
          NO_STORE,
        );
      } catch (err) {
        const e = toHttpError(err);
        if (!e) {
          deps.log.error({ err }, 'unexpected error in the token exchange');
          return oauthError(res, 500, 'server_error', 'Internal error; it has been logged.');
        }
        if (err instanceof RateLimitedError) {
          logRefusal(deps.log, { refusal: 'API.RATE_LIMITED', who, what: { ...what, limit: err.scope } });
          return oauthError(res, 429, 'slow_down', e.message, e.headers);
        }
        if (e.status === 401) {
          logRefusal(deps.log, { refusal: Codes.API_TOKEN_INVALID, who, what });
          return oauthError(res, 401, 'invalid_client', 'The API token is not valid.', { 'www-authenticate': 'Basic realm="keywarden"' });
        }
        if (e.status === 503) deps.log.error({ err }, 'the store is unavailable');
        const code = err instanceof UnsupportedGrant ? 'unsupported_grant_type' : e.status === 503 ? 'temporarily_unavailable' : 'invalid_request';
        oauthError(res, e.status, code, e.message, e.headers);
      }
    },
  };
}

class UnsupportedGrant extends HttpError {}

function checkGrant(values: string[]): void {
  if (values.length === 0) throw new HttpError(400, `grant_type is missing; send grant_type=${GRANT}.`);
  if (values.length > 1) throw new HttpError(400, `grant_type may be given only once; send grant_type=${GRANT}.`);
  if (values[0] !== GRANT) throw new UnsupportedGrant(400, `Unsupported grant_type ${JSON.stringify(values[0]!.slice(0, 40))}; only ${GRANT} is supported.`);
}

function oauthError(res: ServerResponse, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error, error_description: description }, { ...NO_STORE, ...headers });
}
