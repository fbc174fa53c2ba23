/**
 * A technical user's role or token expiry changed in LeanIX (`PUT /technicalusers/{id}` with the
 * object as read and only that attribute changed; the token stays), and its deletion (`DELETE`).
 * The same read, compare, write, read back as permissions (permission-target.ts); a difference
 * from what the approvers saw is drift (`techuser.changed_outside`) and the change is not made.
 * In a connected workspace the record's id is LeanIX's id for the technical user.
 */
import type { Clock, CreateTechnicalUser, DeleteTechnicalUser, MadeToken, Store, UpdateTechnicalUser } from '../app/ports.js';
import { LeanixCodes, LeanixError } from './errors.js';
import { DomainError } from '../domain/errors.js';
import type { LeanixClient } from './client.js';
import { differences, recordDrift } from './drift-record.js';
import { LEANIX_APPLY_CODES, words } from './permission-target.js';
import type { LeanixTechnicalUser, LeanixTechnicalUserInput } from './schemas.js';

/** The expiry LeanIX shows as the date an admin types (YYYY-MM-DD, UTC), or null. */
export function expiryShown(tu: LeanixTechnicalUser): string | null {
  const e = tu.apiTokenData?.expiry;
  if (e === null || e === undefined) return null;
  const d = new Date(typeof e === 'number' ? e : e);
  if (Number.isNaN(d.getTime())) return String(e);
  // An expiry at the very start of a day (Keywarden's end-of-day instants) belongs to the day before.
  return new Date(d.getTime() - (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 ? 1 : 0)).toISOString().slice(0, 10);
}

const shownOf = (tu: LeanixTechnicalUser) => ({ role: tu.permissionRole, expires: expiryShown(tu) ?? '' });

export async function updateInLeanix(client: LeanixClient, deps: { store: Store; clock: Clock }, a: UpdateTechnicalUser): Promise<void> {
  const name = a.technicalUser.userName;
  const read = await client.getTechnicalUser(a.technicalUser.id);
  if (!read) throw new DomainError(LEANIX_APPLY_CODES.NOT_FOUND, `LeanIX has no technical user ${name} in ${a.workspace.name} any more; nothing was changed.`);
  const target: Record<string, string> = 'role' in a.change ? { role: a.change.role } : { expires: a.change.expires };
  if (!differences(target, shownOf(read))) return; // already made by an earlier run of this request
  const expected = Object.fromEntries(Object.keys(target).map((k) => [k, a.seen[k] ?? '']));
  const drift = differences(expected, shownOf(read));
  if (drift) {
    await recordDrift(deps.store.history, {
      workspaceId: a.workspace.id, subject: { type: 'technicalUser', id: read.id, label: name },
      expected: drift.expected, found: drift.found, requestId: a.requestId, basis: a.requestId, at: deps.clock.now(),
    });
    throw new DomainError(LEANIX_APPLY_CODES.CHANGED_OUTSIDE, `LeanIX shows ${words(drift.found)}, not ${words(drift.expected)} as when this was approved; ask again.`);
  }
  // The object as read, without the token part LeanIX never sends back here, with only the attribute changed.
  const { apiTokenData, ...rest } = read;
  const body = {
    ...rest,
    permissionRole: 'role' in a.change ? a.change.role : read.permissionRole,
    ...(apiTokenData || 'expires' in a.change ? {
      apiTokenData: { ...apiTokenData, ...('expires' in a.change ? { expiry: endOfDay(a.change.expires) } : {}) },
    } : {}),
  } as LeanixTechnicalUserInput;
  await client.updateTechnicalUser(read.id, body);
  const back = await client.getTechnicalUser(read.id);
  if (!back || differences(target, shownOf(back))) throw new Error(`LeanIX did not show ${words(target)} for ${name} after the update`);
}

export async function deleteInLeanix(client: LeanixClient, a: DeleteTechnicalUser): Promise<void> {
  // Gone already (an earlier run, or someone in LeanIX): the record follows.
  await client.deleteTechnicalUser(a.technicalUser.id);
}

/**
 * `POST /technicalusers?workspaceId=`, or, when one by this name is already there (an earlier run
 * made it and its answer was lost), `PUT …/{id}/replaceToken` at once: the requester gets exactly
 * one working token, and the one in the lost answer never works.
 */
export async function createInLeanix(client: LeanixClient, a: CreateTechnicalUser): Promise<MadeToken> {
  const found = await client.findTechnicalUserByName(a.userName);
  if (found) return { id: found.id, token: tokenIn(await client.replaceToken(found.id)) };
  const made = await client.createTechnicalUser({
    userName: a.userName, permissionRole: a.role,
    apiTokenData: { expiry: endOfDay(a.expires), description: a.description },
    // Typed as strings in the MTM OpenAPI, shape unshown: sent only when there are any.
    ...(a.customerRoles.length ? { customerRoles: a.customerRoles } : {}),
    ...(a.accessControlEntities.length ? { accessControlEntities: a.accessControlEntities } : {}),
  });
  return { id: made.id, token: tokenIn(made) };
}

/** `PUT …/{id}/replaceToken`; the old token stops working. */
export async function replaceInLeanix(client: LeanixClient, a: DeleteTechnicalUser): Promise<MadeToken> {
  const read = await client.getTechnicalUser(a.technicalUser.id);
  if (!read) throw new DomainError(LEANIX_APPLY_CODES.NOT_FOUND, `LeanIX has no technical user ${a.technicalUser.userName} in ${a.workspace.name} any more; nothing was changed.`);
  return { id: read.id, token: tokenIn(await client.replaceToken(read.id)) };
}

function tokenIn(tu: LeanixTechnicalUser): string {
  const token = tu.apiTokenData?.token;
  if (!token) throw new LeanixError(LeanixCodes.BAD_ANSWER, `LeanIX's answer for technical user ${tu.userName} holds no API token.`);
  return token;
}

/** The token works through the end of the day typed, as Keywarden keeps it (domain/technical-user.ts). */
const endOfDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();
