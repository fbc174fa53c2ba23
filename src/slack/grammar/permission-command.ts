/**
 * The grammar of /permission (DESIGN.md, "Slash commands"). Text in, a command or a usage error
 * out; nothing here touches Slack or the store.
 */
import { isPermissionStatus, type PermissionStatus } from '../../domain/permission.js';
import type { NewRequest } from '../../domain/request.js';
import {
  isUsageError, parseEmail, parseReason, parseRole, refuseDuration, splitWords, usageError, type UsageError,
} from './words.js';
import { typed, typedClipped } from '../blocks/typed.js';
import { BREAK_GLASS_USAGE } from './breakglass.js';
import { parseRoleChange } from './role-change.js';
import { MAX_LIST_QUERY } from '../permission-pages.js';
import { parseReviewCommand, REVIEW_USAGE, type ReviewCommand } from './review-command.js';

export const PERMISSION_USAGE = [
  '*Usage* (add `workspace:<name>` anywhere to pick a workspace):',
  '`/permission list [query] [status:ACTIVE|INVITED|ARCHIVED]`',
  '`/permission role <email> <VIEWER|MEMBER|ADMIN> [for <duration>] [reason...]`  (for 30m, 4h, 2d, 1w: then back by itself)',
  '`/permission grants`  (the active time-bound grants, with the time left)',
  '`/permission drift [page]`  (changes made in LeanIX outside Keywarden, last 30 days)',
  '`/permission archive <email> [reason...]`',
  '`/permission activate <email> [reason...]`  (only ARCHIVED users; invited users activate by accepting)',
  '`/permission invite <email> <VIEWER|MEMBER|ADMIN> [reason...]`',
  `Break-glass: ${BREAK_GLASS_USAGE.replace('…', '/permission')}`,
  `Access reviews: ${REVIEW_USAGE}`,
].join('\n');

export type PermissionCommand = { workspace?: string } & (
  | { action: 'help' }
  | { action: 'list'; query?: string; status?: PermissionStatus }
  | { action: 'grants' }
  | { action: 'drift'; page: number }
  | { action: 'request'; request: NewRequest; reason: string | null; breakGlass?: boolean }
  | ReviewCommand
);

export function parsePermissionCommand(text: string): PermissionCommand | UsageError {
  const split = splitWords(text);
  if (isUsageError(split)) return split;
  const { words, workspace } = split;
  const [sub, ...rest] = words;
  const ws = workspace === undefined ? {} : { workspace };
  switch (sub?.toLowerCase()) {
    case undefined:
    case 'help':
      return { ...ws, action: 'help' };
    case 'list': {
      const statusWord = rest.find((w) => /^status:/i.test(w));
      const query = rest.filter((w) => w !== statusWord).join(' ') || undefined;
      // The query rides in the page buttons' value, which Slack holds to 2,000 characters.
      if (query && query.length > MAX_LIST_QUERY) return usageError(`A query of at most ${MAX_LIST_QUERY} characters, please: a name or the start of an email is enough.`);
      if (!statusWord) return { ...ws, action: 'list', query };
      const status = statusWord.slice('status:'.length).toUpperCase();
      if (!isPermissionStatus(status)) {
        return usageError(`"${typedClipped(statusWord, 160)}" is not a status: use status:ACTIVE, status:INVITED or status:ARCHIVED.`);
      }
      return { ...ws, action: 'list', query, status };
    }
    case 'grants':
      return { ...ws, action: 'grants' };
    case 'drift': {
      if (rest.length === 0) return { ...ws, action: 'drift', page: 1 };
      const page = /^[1-9]\d{0,3}$/.test(rest[0]!) && rest.length === 1 ? Number(rest[0]) : null;
      if (page === null) return usageError(`"${typed(rest.join(' ').slice(0, 40))}" is not a page number: use \`/permission drift\` or \`/permission drift 2\`.`);
      return { ...ws, action: 'drift', page };
    }
    case 'review': {
      const review = parseReviewCommand(rest);
      return isUsageError(review) ? review : { ...ws, ...review };
    }
    case 'role': {
      const email = parseEmail(rest[0]);
      if (isUsageError(email)) return email;
      const change = parseRoleChange(rest.slice(1));
      if (isUsageError(change)) return change;
      const request = { kind: 'permission.role', params: { email, ...change.params } } as const;
      return { ...ws, action: 'request', request, reason: change.reason, ...(change.breakGlass && { breakGlass: true }) };
    }
    case 'invite': {
      const email = parseEmail(rest[0]);
      if (isUsageError(email)) return email;
      const role = parseRole(rest[1]);
      if (isUsageError(role)) return role;
      const refused = refuseDuration('/permission invite', rest.slice(2));
      if (refused) return refused;
      return { ...ws, action: 'request', request: { kind: 'permission.invite', params: { email, role } }, reason: parseReason(rest.slice(2)) };
    }
    case 'archive':
    case 'activate': {
      const email = parseEmail(rest[0]);
      if (isUsageError(email)) return email;
      const refused = refuseDuration(`/permission ${sub.toLowerCase()}`, rest.slice(1));
      if (refused) return refused;
      const kind = sub.toLowerCase() === 'archive' ? 'permission.archive' : 'permission.activate';
      return { ...ws, action: 'request', request: { kind, params: { email } }, reason: parseReason(rest.slice(1)) };
    }
    default:
      return usageError(`"${typedClipped(String(sub), 160)}" is not a /permission command.`);
  }
}
