import type { ChangeRequest, NewRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';

/**
 * What the approval flow needs from each family of requests (permissions, technical users):
 * rules to check before asking anyone, and how to carry out an approved request. `carryOut` may
 * run more than once for one request and must then change nothing more (and not call `mayChange`
 * once the change is made); it returns a one-line
 * outcome for people to read, and throws a DomainError for a rule violation.
 */
export interface RequestHandler {
  /** May return what the subject looks like now, kept on the request as what the approvers saw (`seen`). */
  check(ws: Workspace, r: NewRequest): Promise<void | Record<string, string>>;
  /** `mayChange` throws a DomainError when the change may no longer be made; called before the first write. */
  carryOut(r: ChangeRequest, ws: Workspace, mayChange: () => void): Promise<string>;
}
