/**
 * How the API answers a failure: an HttpError carries the status and the readable message(s);
 * domain errors are mapped here, by their stable code, so no route decides a status twice.
 */
import { ConcurrentChangeError } from '../app/permissions.js';
import { isStoreUnavailable } from '../app/store-unavailable.js';
import { Codes, isDomainError } from '../domain/errors.js';

export class HttpError extends Error {
  readonly messages: string[];
  constructor(
    readonly status: number,
    message: string | string[],
    readonly headers: Record<string, string> = {},
  ) {
    const messages = Array.isArray(message) ? message : [message];
    super(messages.join(' '));
    this.name = 'HttpError';
    this.messages = messages;
  }
}

/** Where a refused access token is answered: RFC 6750 asks for a WWW-Authenticate challenge. */
export const BEARER_CHALLENGE = 'Bearer realm="keywarden"';

import { CONNECTED_CODES } from '../app/connected-workspaces.js';

const STATUS_BY_CODE: Record<string, number> = {
  [Codes.API_TOKEN_INVALID]: 401,
  [Codes.ACCESS_TOKEN_INVALID]: 401,
  [Codes.OTHER_WORKSPACE]: 403,
  [Codes.ROLE_TOO_LOW]: 403,
  [Codes.WORKSPACE_NOT_FOUND]: 404,
  [Codes.USER_NOT_FOUND]: 404,
  [Codes.PERMISSION_NOT_FOUND]: 404,
  [Codes.REQUEST_NOT_FOUND]: 404,
  // Slack could not be reached to ask anyone: nothing was requested, worth a retry.
  'SLACK.POST_FAILED': 503,
  [Codes.GROUPS_UNAVAILABLE]: 503,
  // A workspace connected to LeanIX: its permissions change in LeanIX (app/connected-workspaces.ts).
  [CONNECTED_CODES.NOT_IN_LEANIX]: 409,
  [Codes.REVIEW_NOT_FOUND]: 404,
};

/** The HTTP answer for an error, or null for one that is not an expected outcome (a 500). */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof ConcurrentChangeError) {
    return new HttpError(409, 'The permission was being changed by someone else at the same time; try again.');
  }
  if (isStoreUnavailable(err)) {
    // Nothing was changed: the database did not answer. Worth a retry, not a bug report.
    return new HttpError(503, 'The database is not answering right now; nothing was changed. Try again shortly.', { 'retry-after': '5' });
  }
  if (!isDomainError(err)) return null;
  // Any other domain error is a rule the request broke (INVITED -> ACTIVE, ...): the caller's to fix.
  const status = STATUS_BY_CODE[err.code] ?? 400;
  const headers: Record<string, string> =
    err.code === Codes.ACCESS_TOKEN_INVALID ? { 'www-authenticate': `${BEARER_CHALLENGE}, error="invalid_token"` } : {};
  return new HttpError(status, err.message, headers);
}
