/**
 * The `breakglass` word of `/permission role` and `/techuser role`: `<role> for <duration>
 * breakglass <reason...>`, read after the duration (words.ts takeDuration). Pure: words in, the
 * reason or an error out.
 */
import { parseReason, usageError, type UsageError } from './words.js';

export const BREAK_GLASS_USAGE = '`… role <who> <ROLE> for <duration> breakglass <reason...>` (only where the policy allows it)';

/**
 * `breakglass` right after the role's duration gives the reason after it; `breakglass` without a
 * duration is refused with the form that works; anything else is not break-glass (null).
 */
export function takeBreakGlass(time: { minutes?: number; rest: string[] }): { reason: string | null } | UsageError | null {
  if (time.rest[0]?.toLowerCase() !== 'breakglass') return null;
  if (time.minutes === undefined) {
    return usageError(`Break-glass is always for a time: ${BREAK_GLASS_USAGE}, e.g. \`ADMIN for 1h breakglass the incident needs it\`.`);
  }
  return { reason: parseReason(time.rest.slice(1)) };
}
