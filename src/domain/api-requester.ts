/**
 * A request a technical user made over the API with no admin named behind it has the technical
 * user as its requester (TECHUSER_REQUESTER_PREFIX). Like an admin who asked in Slack, it must
 * still hold the right to ask when the change is made: the technical user still exists in the
 * workspace, its token is neither revoked nor expired, and it is ADMIN, or the request rotates
 * its own token (what any technical user may ask).
 */
import { TECHUSER_REQUESTER_PREFIX, type ChangeRequest } from './request.js';
import type { TechnicalUser } from './technical-user.js';

/** The technical user behind a request, when it is its requester (null otherwise). */
export const technicalUserIdOf = (requester: string): string | null =>
  requester.startsWith(TECHUSER_REQUESTER_PREFIX) ? requester.slice(TECHUSER_REQUESTER_PREFIX.length) : null;

/**
 * Null when the technical user may still have its request carried out, else the reason it may
 * not, for people to read. `tu` is the technical user as stored now (null: deleted).
 */
export function technicalUserStandingLost(r: ChangeRequest, tu: TechnicalUser | null, now: Date): string | null {
  const name = r.origin?.via === 'api' ? r.origin.technicalUser.userName : tu?.userName ?? 'that made it';
  const notCarried = 'so the request was not carried out.';
  if (!tu || tu.workspaceId !== r.workspaceId) return `Technical user ${name}, which made this request over the API, no longer exists, ${notCarried}`;
  if (!tu.token) return `Technical user ${tu.userName}, which made this request over the API, has no API token any more, ${notCarried}`;
  if (tu.token.revokedAt) return `The API token of technical user ${tu.userName}, which made this request, was revoked, ${notCarried}`;
  if (tu.token.expiresAt <= now) return `The API token of technical user ${tu.userName}, which made this request, has expired, ${notCarried}`;
  const ownRotation = r.kind === 'techuser.rotate' && r.params.userName === tu.userName;
  if (tu.role !== 'ADMIN' && !ownRotation) {
    return `Technical user ${tu.userName} is ${tu.role} now; only ADMIN technical users may request changes, ${notCarried}`;
  }
  return null;
}
