/**
 * The grammar of /techuser (DESIGN.md, "Slash commands"). Customer roles and access control
 * entities are given as `roles:a,b` and `aces:x,y` words anywhere after the expiry date.
 */
import type { NewRequest, ParamsByKind } from '../../domain/request.js';
import {
  isUsageError, parseReason, parseRole, refuseDuration, splitWords, usageError, type UsageError,
} from './words.js';
import { typedClipped } from '../blocks/typed.js';
import { BREAK_GLASS_USAGE } from './breakglass.js';
import { parseRoleChange } from './role-change.js';

export const TECHUSER_USAGE = [
  '*Usage* (add `workspace:<name>` anywhere to pick a workspace):',
  '`/techuser list`',
  '`/techuser create <username> <VIEWER|MEMBER|ADMIN> <expiry YYYY-MM-DD> [description...] [roles:a,b] [aces:x,y]`',
  '`/techuser rotate <username> [reason...]`  (replaces the token; the old one stops working at once)',
  '`/techuser expiry <username> <YYYY-MM-DD> [reason...]`  (keeps the same token)',
  '`/techuser role <username> <VIEWER|MEMBER|ADMIN> [for <duration>] [reason...]`  (for 30m, 4h, 2d, 1w: then back by itself)',
  '`/techuser grants`  (technical users under a time-bound grant, with the time left)',
  '`/techuser delete <username> [reason...]`  (deletes its token too)',
  '`/techuser owner <username> <@user> [reason...]`  (transfers ownership: the owner confirms it is still needed)',
  '`/techuser update <username> [description:"…"] [roles:a,b] [aces:x,y] [reason...]`  (`roles:` or `aces:` alone clears them)',
  '`/techuser history <username>`',
  `Break-glass: ${BREAK_GLASS_USAGE.replace('…', '/techuser')}`,
  'Tokens are valid through the end of the expiry date (UTC). A new token is shown once, to the requester only.',
].join('\n');

export type TechuserCommand = { workspace?: string } & (
  | { action: 'help' }
  | { action: 'list' }
  | { action: 'grants' }
  | { action: 'history'; userName: string }
  | { action: 'request'; request: NewRequest; reason: string | null; breakGlass?: boolean }
);

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

export function parseDate(word: string | undefined): string | UsageError {
  if (!word) return usageError('An expiry date is missing (YYYY-MM-DD).');
  return DATE_SHAPE.test(word) ? word : usageError(`"${typedClipped(word, 160)}" is not a date: use YYYY-MM-DD.`);
}

const need = (name: string | undefined): string | UsageError => name ?? usageError('A username is missing.');

/** Takes out `roles:` and `aces:` words, returning their comma-separated values. */
function takeLists(words: string[]) {
  const lists = { customerRoles: [] as string[], accessControlEntities: [] as string[] };
  const rest: string[] = [];
  for (const w of words) {
    const m = /^(roles|aces):(.*)$/i.exec(w);
    if (!m) rest.push(w);
    else lists[m[1]!.toLowerCase() === 'roles' ? 'customerRoles' : 'accessControlEntities'].push(...m[2]!.split(',').filter(Boolean));
  }
  return { lists, rest };
}

export function parseTechuserCommand(text: string): TechuserCommand | UsageError {
  const split = splitWords(text);
  if (isUsageError(split)) return split;
  const [sub, name, ...rest] = split.words;
  const ws = split.workspace === undefined ? {} : { workspace: split.workspace };
  const request = (r: NewRequest, reasonWords: string[]): TechuserCommand => ({ ...ws, action: 'request', request: r, reason: parseReason(reasonWords) });
  switch (sub?.toLowerCase()) {
    case undefined:
    case 'help':
      return { ...ws, action: 'help' };
    case 'list':
      return { ...ws, action: 'list' };
    case 'grants':
      return { ...ws, action: 'grants' };
    case 'history': {
      const userName = need(name);
      return isUsageError(userName) ? userName : { ...ws, action: 'history', userName };
    }
    case 'create': {
      const userName = need(name);
      if (isUsageError(userName)) return userName;
      const role = parseRole(rest[0]);
      if (isUsageError(role)) return role;
      const expiry = parseDate(rest[1]);
      if (isUsageError(expiry)) return expiry;
      const { lists, rest: words } = takeLists(rest.slice(2));
      const refused = refuseDuration('/techuser create', words);
      if (refused) return refused;
      const description = words.join(' ').slice(0, MAX_DESCRIPTION);
      return request({ kind: 'techuser.create', params: { userName, role, expiry, description, ...lists } }, []);
    }
    case 'rotate':
    case 'delete': {
      const userName = need(name);
      if (isUsageError(userName)) return userName;
      const refused = refuseDuration(`/techuser ${sub.toLowerCase()}`, rest);
      if (refused) return refused;
      const kind = sub.toLowerCase() === 'rotate' ? 'techuser.rotate' : 'techuser.delete';
      return request({ kind, params: { userName } }, rest);
    }
    case 'expiry': {
      const userName = need(name);
      if (isUsageError(userName)) return userName;
      const expiry = parseDate(rest[0]);
      if (isUsageError(expiry)) return expiry;
      const refused = refuseDuration('/techuser expiry', rest.slice(1));
      if (refused) return refused;
      return request({ kind: 'techuser.expiry', params: { userName, expiry } }, rest.slice(1));
    }
    case 'role': {
      const userName = need(name);
      if (isUsageError(userName)) return userName;
      const change = parseRoleChange(rest);
      if (isUsageError(change)) return change;
      const role = { kind: 'techuser.role', params: { userName, ...change.params } } as const;
      return { ...ws, action: 'request', request: role, reason: change.reason, ...(change.breakGlass && { breakGlass: true }) };
    }
    case 'owner': {
      const userName = need(name);
      if (isUsageError(userName)) return userName;
      const owner = parseMention(rest[0]);
      if (isUsageError(owner)) return owner;
      return request({ kind: 'techuser.owner', params: { userName, owner } }, rest.slice(1));
    }
    case 'update': {
      const userName = need(name);
      if (isUsageError(userName)) return userName;
      const parsed = parseUpdate(rest);
      if (isUsageError(parsed)) return parsed;
      return request({ kind: 'techuser.update', params: { userName, ...parsed.fields } }, parsed.reason);
    }
    default:
      return usageError(`"${typedClipped(String(sub), 160)}" is not a /techuser command.`);
  }
}

/**
 * A Slack user as the command text carries it when /techuser escapes mentions (manifest.yml):
 * `<@U123ABC|jane>` or `<@U123ABC>`. A plain `@jane` has no id to go by.
 */
export function parseMention(word: string | undefined): string | UsageError {
  if (!word) return usageError('The new owner is missing: mention them, e.g. `@jane`.');
  const m = /^<@([UW][A-Z0-9]{2,20})(\|[^>]*)?>$/.exec(word);
  if (m) return m[1]!;
  return usageError(`"${typedClipped(word, 160)}" is not a Slack user: mention the new owner with @ and pick them from the list.`);
}

export const NOTHING_TO_UPDATE = 'Say what to update: `description:"…"`, `roles:a,b` and/or `aces:x,y`.';
/** How long a description may be (the rest is cut off, as typed). */
export const MAX_DESCRIPTION = 500;

const OPEN_QUOTE = /^["\u201c]/;
const CLOSE_QUOTE = /["\u201d]$/;

/** `description:"…"` (quotes may span words; Slack's curly quotes count), `roles:a,b`, `aces:x,y`; the rest is the reason. */
function parseUpdate(words: string[]): { fields: Omit<ParamsByKind['techuser.update'], 'userName'>; reason: string[] } | UsageError {
  const fields: Omit<ParamsByKind['techuser.update'], 'userName'> = {};
  const reason: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const m = /^(description|roles|aces):(.*)$/i.exec(w);
    if (!m) {
      reason.push(w);
      continue;
    }
    const key = m[1]!.toLowerCase();
    let value = m[2]!;
    if (key === 'description') {
      if (fields.description !== undefined) return usageError('Give `description:` once.');
      if (OPEN_QUOTE.test(value)) {
        const parts = [value];
        while (!(parts.join(' ').length > 1 && CLOSE_QUOTE.test(parts.at(-1)!)) && i + 1 < words.length) parts.push(words[++i]!);
        const quoted = parts.join(' ');
        if (quoted.length < 2 || !CLOSE_QUOTE.test(quoted)) return usageError('The description has no closing quote: `description:"what it is for"`.');
        value = quoted.slice(1, -1);
      }
      fields.description = value.trim();
      continue;
    }
    const list = value.split(',').map((x) => x.trim()).filter(Boolean);
    const field = key === 'roles' ? 'customerRoles' : 'accessControlEntities';
    if (fields[field]) return usageError(`Give \`${key}:\` once.`);
    fields[field] = list;
  }
  if (fields.description === undefined && !fields.customerRoles && !fields.accessControlEntities) {
    return usageError(NOTHING_TO_UPDATE);
  }
  return { fields, reason };
}
