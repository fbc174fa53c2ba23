/**
 * Active grants for a caller holding an access token (Keywarden's own endpoint beside the MTM
 * API, which keeps answering the current role as LeanIX does). The same rule as reading
 * permissions: a token reads its own workspace, whatever its role.
 */
import { Codes, DomainError } from '../domain/errors.js';
import { assertMayRead, type Principal } from './access-tokens.js';
import type { GrantService, GrantView } from './grants.js';
import type { Store } from './ports.js';

/** The most grants one answer holds (soonest end first); a workspace has far fewer. */
export const API_GRANTS_LIMIT = 1000;

export class GrantApiService {
  constructor(private readonly deps: { store: Store; grants: GrantService }) {}

  async list(caller: Principal, workspaceId: string): Promise<GrantView[]> {
    assertMayRead(caller, workspaceId);
    if (!(await this.deps.store.workspaces.findById(workspaceId))) {
      throw new DomainError(Codes.WORKSPACE_NOT_FOUND, `There is no workspace with id ${workspaceId}.`);
    }
    return this.deps.grants.list(workspaceId, API_GRANTS_LIMIT);
  }
}
