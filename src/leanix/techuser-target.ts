/**
 * Technical users in LeanIX. A role, a token expiry date, or the details `/techuser update` takes
 * (description, customer roles, access control entities) changed with `PUT /technicalusers/{id}`:
 * the object as read with only those attributes changed (the token stays), after the same read
 * and compare as permissions (permission-target.ts), then read back; a field LeanIX shows neither
 * as the approvers saw it nor as the request sets it is drift (`techuser.changed_outside`) and
 * nothing is changed. A create (marked on the request first), a token replaced, a deletion.
 * In a connected workspace the record's id is LeanIX's id for the technical user.
 */
import type { Clock, CreateTechnicalUser, DeleteTechnicalUser, MadeToken, Store, UpdateTechnicalUser } from '../app/ports.js';
import { ChangedOutsideError } from '../app/ports.js';
import { LeanixCodes, LeanixError } from './errors.js';
import { DomainError } from '../domain/errors.js';
import type { LeanixClient } from './client.js';
import { differences, recordDrift } from './drift-record.js';
import { LEANIX_APPLY_CODES, words } from './permission-target.js';
import type { LeanixTechnicalUser, LeanixTechnicalUserInput } from './schemas.js';
import { labels } from './reader.js';

/** The expiry LeanIX shows as the date an admin types (YYYY-MM-DD, UTC), or null. */
export function expiryShown(tu: LeanixTechnicalUser): string | null {
  const e = tu.apiTokenData?.expiry;
  if (e === null || e === undefined) return null;
  const d = new Date(typeof e === 'number' ? e : e);
  if (Number.isNaN(d.getTime())) return String(e);
  // An expiry at the very start of a day (Keywarden's end-of-day instants) belongs to the day before.
  return new Date(d.getTime() - (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 ? 1 : 0)).toISOString().slice(0, 10);
}

/** Lists as one comparable value: their labels sorted and joined (labels hold no commas; domain/technical-user.ts). */
const listKey = (xs: readonly string[]) => [...xs].sort().join(',');

/** What LeanIX shows of the fields a request may change, in the form the request's `seen` holds them. */
const shownOf = (tu: LeanixTechnicalUser): Record<string, string> => ({
  role: tu.permissionRole, expires: expiryShown(tu) ?? '', description: tu.apiTokenData?.description ?? '',
  customerRoles: listKey(labels(tu.customerRoles)), accessControlEntities: listKey(labels(tu.accessControlEntities)),
});

/** The fields a change sets, as shownOf has them. */
function targetOf(change: UpdateTechnicalUser['change']): Record<string, string> {
  if ('role' in change) return { role: change.role };
  if ('expires' in change) return { expires: change.expires };
  const d = change.details;
  return {
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.customerRoles ? { customerRoles: listKey(d.customerRoles) } : {}),
    ...(d.accessControlEntities ? { accessControlEntities: listKey(d.accessControlEntities) } : {}),
  };
}

/**
 * The object as read, without the token LeanIX never sends back here, with only the changed
 * attributes changed: everything else, fields Keywarden does not know included, goes back as it came.
 */
function bodyOf(read: LeanixTechnicalUser, change: UpdateTechnicalUser['change']): LeanixTechnicalUserInput {
  const { apiTokenData, ...rest } = read;
  const token = apiTokenData ? (({ token: _, ...t }) => t)(apiTokenData) : undefined;
  if ('role' in change) return { ...rest, permissionRole: change.role, ...(token ? { apiTokenData: token } : {}) } as LeanixTechnicalUserInput;
  if ('expires' in change) return { ...rest, apiTokenData: { ...token, expiry: endOfDay(change.expires) } } as LeanixTechnicalUserInput;
  const d = change.details;
  if (d.description !== undefined && !token) {
    throw new DomainError(LEANIX_APPLY_CODES.REFUSED, `LeanIX shows no API token data for ${read.userName}, where its description is kept; nothing was changed.`);
  }
  return {
    ...rest,
    ...(d.customerRoles ? { customerRoles: sameForm(read.customerRoles, d.customerRoles) } : {}),
    ...(d.accessControlEntities ? { accessControlEntities: sameForm(read.accessControlEntities, d.accessControlEntities) } : {}),
    ...(token ? { apiTokenData: { ...token, ...(d.description !== undefined ? { description: d.description } : {}) } } : {}),
  } as LeanixTechnicalUserInput;
}

/**
 * A list written back in the form LeanIX showed it: a list stays a list, a string (the OpenAPI's
 * type) becomes the labels joined with commas, as they are read (reader.ts `labels`); nothing
 * shown: a list, as a create sends it.
 */
const sameForm = (read: unknown, list: string[]): string | string[] => (typeof read === 'string' ? list.join(',') : list);

export async function updateInLeanix(client: LeanixClient, deps: { store: Store; clock: Clock }, a: UpdateTechnicalUser): Promise<void> {
  const name = a.technicalUser.userName;
  const read = await client.getTechnicalUser(a.technicalUser.id);
  if (!read) throw new DomainError(LEANIX_APPLY_CODES.NOT_FOUND, `LeanIX has no technical user ${name} in ${a.workspace.name} any more; nothing was changed.`);
  const target = targetOf(a.change);
  const shown = shownOf(read);
  const open = differences(target, shown);
  if (!open) return; // already made: by an earlier run of this request
  // A field LeanIX shows neither as the approvers saw it nor as the request sets it was changed there.
  const expected = Object.fromEntries(Object.keys(open.expected).map((k) => [k, seenValue(a.seen, k)]));
  const drift = differences(expected, shown);
  if (drift) {
    await recordDrift(deps.store.history, {
      workspaceId: a.workspace.id, subject: { type: 'technicalUser', id: read.id, label: name },
      expected: drift.expected, found: drift.found, requestId: a.requestId, basis: a.requestId, at: deps.clock.now(),
    });
    // What LeanIX shows goes with it: a grant's end leaves a role changed there as it is (app/grant-targets.ts).
    throw new ChangedOutsideError(LEANIX_APPLY_CODES.CHANGED_OUTSIDE, `LeanIX shows ${said(drift.found)}, not ${said(drift.expected)} as when this was approved; ask again.`, drift.found);
  }
  await client.updateTechnicalUser(read.id, bodyOf(read, a.change));
  const back = await client.getTechnicalUser(read.id);
  if (!back || differences(target, shownOf(back))) throw new Error(`LeanIX did not show ${said(target)} for ${name} after the update`);
}

/** What the approvers saw of a field, as shownOf has it (lists sorted). */
function seenValue(seen: Record<string, string>, k: string): string {
  const v = seen[k] ?? '';
  return k === 'customerRoles' || k === 'accessControlEntities' ? listKey(v.split(',').filter(Boolean)) : v;
}

const FIELD_WORDS: Record<string, string> = { description: 'description', customerRoles: 'customer roles', accessControlEntities: 'access control entities' };

/** `MEMBER`, `expires 2030-01-01`, `description "runs x" and customer roles none`, for a person. */
function said(fields: Record<string, unknown>): string {
  const keys = Object.keys(fields);
  if (keys.every((k) => k === 'role' || k === 'expires')) return words(fields);
  return keys.map((k) => {
    const v = String(fields[k] ?? '');
    if (k === 'description') return v ? `description "${v}"` : 'an empty description';
    if (k in FIELD_WORDS) return `${FIELD_WORDS[k]} ${v ? v.split(',').join(', ') : 'none'}`;
    return `${k} ${v}`;
  }).join(' and ');
}

export async function deleteInLeanix(client: LeanixClient, a: DeleteTechnicalUser): Promise<void> {
  // Gone already (an earlier run, or someone in LeanIX): the record follows.
  await client.deleteTechnicalUser(a.technicalUser.id);
}

/**
 * `POST /technicalusers?workspaceId=`, its mark set on the request first. When one by this name is
 * there already, it is this request's own only if an earlier run set the mark (so may have sent
 * the create, whose answer was lost) and it shows what that run sent: then its token is replaced
 * at once (`PUT …/{id}/replaceToken`), so the requester gets exactly one working token and the one
 * in the lost answer never works. Otherwise someone made it in LeanIX meanwhile: the request
 * fails and the difference is recorded as drift.
 *
 * What is left: a run that set the mark and died before its create reached LeanIX, and someone
 * who then made a technical user by the same name, role, expiry date and description in LeanIX
 * before the re-run: that one would be taken for this request's, and its token replaced.
 */
export async function createInLeanix(client: LeanixClient, deps: { store: Store; clock: Clock }, a: CreateTechnicalUser): Promise<MadeToken> {
  const found = await client.findTechnicalUserByName(a.userName);
  if (found) {
    if (a.sentBefore && asSent(found, a)) return { id: found.id, token: tokenIn(await client.replaceToken(found.id)) };
    const { role, expires, description } = shownOf(found);
    await recordDrift(deps.store.history, {
      workspaceId: a.workspace.id, subject: { type: 'technicalUser', id: found.id, label: a.userName },
      expected: {}, found: { role, expires, description }, requestId: a.requestId, basis: a.requestId, at: deps.clock.now(),
    });
    throw new DomainError(LEANIX_APPLY_CODES.CHANGED_OUTSIDE, `A technical user named ${a.userName} was made in LeanIX meanwhile; ask again with another name.`);
  }
  await a.markSent();
  const made = await client.createTechnicalUser({
    userName: a.userName, permissionRole: a.role,
    apiTokenData: { expiry: endOfDay(a.expires), description: a.description },
    // Typed as strings in the MTM OpenAPI, shape unshown: sent only when there are any.
    ...(a.customerRoles.length ? { customerRoles: a.customerRoles } : {}),
    ...(a.accessControlEntities.length ? { accessControlEntities: a.accessControlEntities } : {}),
  });
  return { id: made.id, token: tokenIn(made) };
}

/** Whether a technical user LeanIX shows is what this request's create sent. */
function asSent(tu: LeanixTechnicalUser, a: CreateTechnicalUser): boolean {
  const shown = shownOf(tu);
  return shown.role === a.role && shown.expires === a.expires && shown.description === a.description;
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
