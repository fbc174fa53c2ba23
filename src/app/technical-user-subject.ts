/**
 * Which technical user an approved request is about. Approvers decide on the technical user a
 * name meant when the request was made; a technical user deleted and created again under that
 * name is another one, with its own owner, token and history. So submit keeps the id the name had
 * (`technicalUserId` in the params), and the change is carried out on that id or not at all.
 * Requests made before ids were kept (no technicalUserId) are still carried out by name.
 */
import { Codes, DomainError } from '../domain/errors.js';
import type { NewRequest } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import type { Store } from './ports.js';

type ByIdKind = 'techuser.rotate' | 'techuser.expiry' | 'techuser.role' | 'techuser.delete' | 'techuser.owner' | 'techuser.update';
const BY_ID: readonly string[] = ['techuser.rotate', 'techuser.expiry', 'techuser.role', 'techuser.delete', 'techuser.owner', 'techuser.update'] satisfies ByIdKind[];

/** Whether a request names an existing technical user, to be kept by id (withTechnicalUserId). */
export const namesTechnicalUser = (r: NewRequest): boolean => BY_ID.includes(r.kind) && 'userName' in r.params;

/** The request as it is stored: with the id of the technical user its name means now. */
export async function withTechnicalUserId(store: Store, ws: Workspace, r: NewRequest): Promise<NewRequest> {
  if (!namesTechnicalUser(r) || !('userName' in r.params)) return r;
  const tu = await store.technicalUsers.findByName(ws.id, r.params.userName);
  return tu ? ({ ...r, params: { ...r.params, technicalUserId: tu.id } } as NewRequest) : r;
}

/**
 * The technical user a request was made for, as it is now: null when it is gone. `replaced`: gone,
 * and another one has its name now (deleted and created again).
 */
export async function approvedTechnicalUser(
  store: Store, workspaceId: string, params: { userName: string; technicalUserId?: string },
): Promise<{ tu: TechnicalUser | null; replaced: boolean }> {
  const byName = await store.technicalUsers.findByName(workspaceId, params.userName);
  if (!params.technicalUserId || byName?.id === params.technicalUserId) return { tu: byName, replaced: false };
  return { tu: null, replaced: byName !== null };
}

/** Why nothing was done for a request whose technical user is gone. */
export function technicalUserGone(userName: string, replaced: boolean): DomainError {
  return new DomainError(Codes.TECHUSER_NOT_FOUND, replaced
    ? `${userName} was deleted and created again since this request was made; it was approved for the one deleted, so nothing was changed. Ask again for the new ${userName}.`
    : `There is no technical user named ${userName} any more.`);
}
