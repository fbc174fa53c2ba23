import type { ChangeRequest, NewRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';

/**
 * What the approval flow needs from each family of requests (permissions, technical users):
 * rules to check before asking anyone, and how to carry out an approved request. `carryOut` may
 * run more than once for one request and must then change nothing more; it returns a one-line
 * outcome for people to read, and throws a DomainError for a rule violation.
 */
export interface RequestHandler {
  check(ws: Workspace, r: NewRequest): Promise<void>;
  carryOut(r: ChangeRequest, ws: Workspace): Promise<string>;
}
