/**
 * Keywarden's own read-only endpoint for time-bound grants, with the MTM API's token rules and
 * envelope (type "Grant"):
 *
 *   GET /services/keywarden/v1/workspaces/{id}/grants        Bearer <access token>
 */
import type { AccessTokenService } from '../app/access-tokens.js';
import type { GrantApiService } from '../app/grant-api.js';
import type { GrantView } from '../app/grants.js';
import type { Log } from '../app/ports.js';
import type { Route } from '../http/server.js';
import { authenticate } from './auth.js';
import { enveloped, listEnvelope, sendEnvelope } from './envelope.js';
import { pathSegment } from './request.js';

export const GRANT_TYPE = 'Grant';
export const GRANTS_PATH = /^\/services\/keywarden\/v1\/workspaces\/(?<id>[^/]+)\/grants$/;

export interface GrantRouteDeps {
  accessTokens: AccessTokenService;
  grantApi: GrantApiService;
  log: Log;
}

/** A grant as the API shows it: its subject, the role it gives and the one it goes back to, and when. */
export function grantJson({ subject, grant }: GrantView) {
  return {
    subject: subject.type === 'permission'
      ? { type: 'permission', id: subject.id, email: subject.label }
      : { type: 'technicalUser', id: subject.id, userName: subject.label },
    role: grant.role,
    revertTo: grant.revertTo,
    until: grant.until.toISOString(),
    grantedAt: grant.grantedAt.toISOString(),
    requestId: grant.requestId,
  };
}

export function grantRoutes(deps: GrantRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: GRANTS_PATH,
      handler: enveloped(deps.log, async (req, res, params) => {
        const caller = await authenticate(req, deps.accessTokens);
        const grants = await deps.grantApi.list(caller, pathSegment(params.id));
        sendEnvelope(res, 200, listEnvelope(grants.map(grantJson), GRANT_TYPE));
      }, GRANT_TYPE),
    },
  ];
}
