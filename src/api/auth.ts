/**
 * Reading credentials from the Authorization header: HTTP Basic `apitoken:<API token>` for the
 * token exchange, `Bearer <access token>` for everything else.
 */
import type { IncomingMessage } from 'node:http';
import type { AccessTokenService, Principal } from '../app/access-tokens.js';
import { rememberCaller } from './api-refusals.js';
import { BEARER_CHALLENGE, HttpError } from './http-error.js';

const BASIC_USER = 'apitoken';
const BASIC_HELP = `Authenticate with HTTP Basic: user name "${BASIC_USER}", password the API token.`;

/**
 * The API token of a Basic header. A missing or malformed header is a 400 (the request is wrong);
 * whether the token itself is any good is for the exchange to say (401).
 */
export function basicApiToken(header: string | undefined): string {
  if (!header) throw new HttpError(400, `The Authorization header is missing. ${BASIC_HELP}`);
  const m = /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!m) throw new HttpError(400, `The Authorization header is not HTTP Basic. ${BASIC_HELP}`);
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new HttpError(400, `The Basic credentials have no password. ${BASIC_HELP}`);
  if (decoded.slice(0, colon) !== BASIC_USER) throw new HttpError(400, `The Basic user name must be "${BASIC_USER}". ${BASIC_HELP}`);
  return decoded.slice(colon + 1);
}

/** The caller of a request with a Bearer access token; 401 without one or with a bad one. */
export async function authenticate(req: IncomingMessage, accessTokens: AccessTokenService): Promise<Principal> {
  const header = req.headers.authorization;
  const m = header ? /^Bearer +(\S+)$/i.exec(header.trim()) : null;
  if (!m) {
    throw new HttpError(401, 'Authentication required: send "Authorization: Bearer <access token>" (from POST /services/mtm/v1/oauth2/token).', {
      'www-authenticate': BEARER_CHALLENGE,
    });
  }
  const caller = await accessTokens.authenticate(m[1]!);
  rememberCaller(req, caller);
  return caller;
}
