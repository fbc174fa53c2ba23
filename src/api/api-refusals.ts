/**
 * API refusals (401, 403, 429) in the refusal log's shape (app/refusal.ts): who (the technical
 * user behind the access token, when it was valid, and the client address) tried what (method
 * and path). The caller is remembered per request by authenticate(), so a 403 can name them.
 */
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../app/access-tokens.js';
import type { Log } from '../app/ports.js';
import { logRefusal } from '../app/refusal.js';
import { isDomainError } from '../domain/errors.js';
import { clientAddress } from '../http/client-address.js';

const callers = new WeakMap<IncomingMessage, Principal>();

export function rememberCaller(req: IncomingMessage, p: Principal): void {
  callers.set(req, p);
}

/** True for the statuses that are refusals rather than mistakes. */
export const isRefusalStatus = (status: number): boolean => status === 401 || status === 403 || status === 429;

export function logApiRefusal(log: Log, req: IncomingMessage, url: URL, err: unknown, status: number): void {
  const caller = callers.get(req);
  const code = isDomainError(err) ? err.code : status === 401 ? 'API.UNAUTHENTICATED' : status === 429 ? 'API.RATE_LIMITED' : 'API.FORBIDDEN';
  logRefusal(log, {
    refusal: code,
    who: {
      address: clientAddress(req),
      ...(caller && { technicalUserId: caller.technicalUserId, technicalUser: caller.userName, workspaceId: caller.workspaceId }),
    },
    what: { method: req.method, path: url.pathname.slice(0, 200) },
  });
}
