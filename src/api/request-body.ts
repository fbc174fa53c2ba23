/**
 * The body of `POST /services/keywarden/v1/workspaces/{id}/requests`: the same kinds, parameters
 * and durations as the slash commands, read by the slash commands' own parsers (slack/grammar),
 * so a value Slack refuses is refused here with the same words. Only the shape is the API's own:
 * named fields instead of words, so a reason can never be mistaken for a duration or a word of
 * the grammar (`for`, `breakglass`, `workspace:`).
 */
import { z } from 'zod';
import type { NewRequest } from '../domain/request.js';
import { takeBreakGlass } from '../slack/grammar/breakglass.js';
import { MAX_DESCRIPTION, NOTHING_TO_UPDATE, parseDate, parseMention } from '../slack/grammar/techuser-command.js';
import {
  isUsageError, parseEmail, parseReason, parseRole, refuseDuration, refuseUnsafe, takeDuration, usageError, type UsageError,
} from '../slack/grammar/words.js';

/** The kinds a person can ask for with a slash command (extensions come from buttons only). */
export const API_KINDS = [
  'permission.role', 'permission.archive', 'permission.activate', 'permission.invite',
  'techuser.create', 'techuser.rotate', 'techuser.expiry', 'techuser.role', 'techuser.delete', 'techuser.owner', 'techuser.update',
] as const;

const text = (max: number) => z.string().max(max);
const list = z.array(text(200)).max(100);

export const RequestBody = z.strictObject({
  kind: z.enum(API_KINDS),
  email: text(320).optional(),
  userName: text(200).optional(),
  role: text(40).optional(),
  for: text(40).optional(),
  expiry: text(40).optional(),
  reason: text(2000).nullable().optional(),
  breakGlass: z.boolean().optional(),
  description: text(2000).optional(),
  customerRoles: list.optional(),
  accessControlEntities: list.optional(),
  owner: text(40).optional(),
  /** The Slack user id of the admin the request is made for: then the requester. */
  onBehalfOf: z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'onBehalfOf must be a Slack user id such as U0123ABCD.').optional(),
});
export type RequestBody = z.infer<typeof RequestBody>;

export interface ParsedRequest {
  request: NewRequest;
  reason: string | null;
  breakGlass: boolean;
  onBehalfOf?: string;
}

/** What the slash command would be called, for refusals that name it. */
const COMMAND: Record<(typeof API_KINDS)[number], string> = Object.fromEntries(
  API_KINDS.map((k) => [k, `/${k.replace('.', ' ')}`]),
) as Record<(typeof API_KINDS)[number], string>;

/** The request a body asks for, or what was wrong with it. */
export function parseRequestBody(b: RequestBody): ParsedRequest | UsageError {
  for (const v of [b.email, b.userName, b.role, b.for, b.expiry, b.reason, b.description, b.owner, ...(b.customerRoles ?? []), ...(b.accessControlEntities ?? [])]) {
    const unsafe = typeof v === 'string' ? refuseUnsafe(v) : null;
    if (unsafe) return unsafe;
  }
  const reason = parseReason((b.reason ?? '').split(/\s+/));
  const isRole = b.kind === 'permission.role' || b.kind === 'techuser.role';
  if (!isRole) {
    if (b.breakGlass) return usageError(`\`${COMMAND[b.kind]}\` cannot be break-glass: only \`role\` can, for a time.`);
    if (b.for !== undefined) return refuseDuration(COMMAND[b.kind], ['for', b.for]) ?? usageError(`\`${COMMAND[b.kind]}\` takes no duration: only \`role\` can give a role for a time.`);
  }
  const out = (request: NewRequest, breakGlass = false, why: string | null = reason): ParsedRequest => ({
    request, reason: why, breakGlass, ...(b.onBehalfOf && { onBehalfOf: b.onBehalfOf }),
  });
  if (b.kind.startsWith('permission.')) {
    const email = parseEmail(b.email);
    if (isUsageError(email)) return email;
    switch (b.kind) {
      case 'permission.role': {
        const change = roleChange(b, reason);
        return isUsageError(change) ? change : out({ kind: 'permission.role', params: { email, ...change.params } }, change.breakGlass, change.reason);
      }
      case 'permission.invite': {
        const role = parseRole(b.role);
        return isUsageError(role) ? role : out({ kind: 'permission.invite', params: { email, role } });
      }
      default:
        return out({ kind: b.kind === 'permission.archive' ? 'permission.archive' : 'permission.activate', params: { email } });
    }
  }
  const userName = oneWord(b.userName);
  if (isUsageError(userName)) return userName;
  switch (b.kind) {
    case 'techuser.create': {
      const role = parseRole(b.role);
      if (isUsageError(role)) return role;
      const expiry = parseDate(b.expiry);
      if (isUsageError(expiry)) return expiry;
      const description = (b.description ?? '').trim().slice(0, MAX_DESCRIPTION);
      // As typed after the expiry date, the description is the create command's only free text.
      return out({
        kind: 'techuser.create',
        params: { userName, role, expiry, description, customerRoles: b.customerRoles ?? [], accessControlEntities: b.accessControlEntities ?? [] },
      }, false, null);
    }
    case 'techuser.rotate':
    case 'techuser.delete':
      return out({ kind: b.kind, params: { userName } });
    case 'techuser.expiry': {
      const expiry = parseDate(b.expiry);
      return isUsageError(expiry) ? expiry : out({ kind: 'techuser.expiry', params: { userName, expiry } });
    }
    case 'techuser.role': {
      const change = roleChange(b, reason);
      return isUsageError(change) ? change : out({ kind: 'techuser.role', params: { userName, ...change.params } }, change.breakGlass, change.reason);
    }
    case 'techuser.owner': {
      const owner = parseMention(b.owner === undefined ? undefined : `<@${b.owner}>`);
      return isUsageError(owner) ? owner : out({ kind: 'techuser.owner', params: { userName, owner } });
    }
    case 'techuser.update': {
      const fields = {
        ...(b.description !== undefined && { description: b.description.trim() }),
        ...(b.customerRoles && { customerRoles: b.customerRoles }),
        ...(b.accessControlEntities && { accessControlEntities: b.accessControlEntities }),
      };
      if (Object.keys(fields).length === 0) return usageError(NOTHING_TO_UPDATE);
      return out({ kind: 'techuser.update', params: { userName, ...fields } });
    }
    default:
      return usageError(`"${b.kind}" is not a kind of request.`);
  }
}

/** `role`, `for` and `breakGlass`, read as `<ROLE> [for <duration> [breakglass <reason>]]` is. */
function roleChange(b: RequestBody, reason: string | null) {
  const role = parseRole(b.role);
  if (isUsageError(role)) return role;
  const time = takeDuration(b.for === undefined ? [] : ['for', b.for]);
  if (isUsageError(time)) return time;
  const bg = b.breakGlass ? takeBreakGlass({ minutes: time.minutes, rest: ['breakglass'] }) : null;
  if (isUsageError(bg)) return bg;
  return { params: time.minutes === undefined ? { role } : { role, minutes: time.minutes }, breakGlass: bg !== null, reason };
}

function oneWord(name: string | undefined): string | UsageError {
  if (!name) return usageError('A username is missing.');
  return /\s/.test(name.trim()) ? usageError('A username is one word.') : name.trim();
}
