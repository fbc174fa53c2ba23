/**
 * What follows the subject of `/permission role` and `/techuser role`: `<ROLE> [for <duration>
 * [breakglass <reason...>]] [reason...]`. Pure: words in, the role change or a usage error out.
 */
import type { Role } from '../../domain/permission.js';
import { takeBreakGlass } from './breakglass.js';
import { isUsageError, parseReason, parseRole, takeDuration, type UsageError } from './words.js';

export interface RoleChange {
  /** The role, and for how long when it is a grant. */
  params: { role: Role; minutes?: number };
  reason: string | null;
  breakGlass: boolean;
}

export function parseRoleChange(words: string[]): RoleChange | UsageError {
  const role = parseRole(words[0]);
  if (isUsageError(role)) return role;
  const time = takeDuration(words.slice(1));
  if (isUsageError(time)) return time;
  const bg = takeBreakGlass(time);
  if (isUsageError(bg)) return bg;
  return {
    params: time.minutes === undefined ? { role } : { role, minutes: time.minutes },
    reason: bg ? bg.reason : parseReason(time.rest),
    breakGlass: bg !== null,
  };
}
