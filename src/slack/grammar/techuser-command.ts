/**
 * The grammar of /techuser (DESIGN.md, "Slash commands"). Customer roles and access control
 * entities are given as `roles:a,b` and `aces:x,y` words anywhere after the expiry date.
 */
import type { NewRequest } from '../../domain/request.js';
import {
  isUsageError, parseReason, parseRole, refuseDuration, splitWords, takeDuration, usageError, type UsageError,
} from './words.js';
import { typed } from '../blocks/typed.js';

export const TECHUSER_USAGE = [
  '*Usage* (add `workspace:<name>` anywhere to pick a workspace):',
  '`/techuser list`',
  '`/techuser create <username> <VIEWER|MEMBER|ADMIN> <expiry YYYY-MM-DD> [description...] [roles:a,b] [aces:x,y]`',
  '`/techuser rotate <username> [reason...]`  (replaces the token; the old one stops working at once)',
  '`/techuser expiry <username> <YYYY-MM-DD> [reason...]`  (keeps the same token)',
  '`/techuser role <username> <VIEWER|MEMBER|ADMIN> [for <duration>] [reason...]`  (for 30m, 4h, 2d, 1w: then back by itself)',
  '`/techuser grants`  (technical users under a time-bound grant, with the time left)',
  '`/techuser delete <username> [reason...]`  (deletes its token too)',
  '`/techuser history <username>`',
  'Tokens are valid through the end of the expiry date (UTC). A new token is shown once, to the requester only.',
].join('\n');

export type TechuserCommand = { workspace?: string } & (
  | { action: 'help' }
  | { action: 'list' }
  | { action: 'grants' }
  | { action: 'history'; userName: string }
  | { action: 'request'; request: NewRequest; reason: string | null }
);

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

function parseDate(word: string | undefined): string | UsageError {
  if (!word) return usageError('An expiry date is missing (YYYY-MM-DD).');
  return DATE_SHAPE.test(word) ? word : usageError(`"${typed(word.slice(0, 40))}" is not a date: use YYYY-MM-DD.`);
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
      const description = words.join(' ').slice(0, 500);
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
      const role = parseRole(rest[0]);
      if (isUsageError(role)) return role;
      const time = takeDuration(rest.slice(1));
      if (isUsageError(time)) return time;
      const params = time.minutes === undefined ? { userName, role } : { userName, role, minutes: time.minutes };
      return request({ kind: 'techuser.role', params }, time.rest);
    }
    default:
      return usageError(`"${typed(String(sub).slice(0, 40))}" is not a /techuser command.`);
  }
}
