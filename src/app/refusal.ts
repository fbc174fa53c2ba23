/**
 * Every refusal is logged in one shape, so an operator can search for it and see who tried what:
 *
 *   log.warn({ refusal: 'AUTH.NOT_APPROVER', who: { user, team }, what: { action, requestId } }, 'refused')
 *
 * `refusal` is a stable code: a DomainError's code, or an edge's own (SLACK.BAD_SIGNATURE,
 * API.RATE_LIMITED, ...). Security refusals (someone not allowed, a forged or replayed request,
 * a refused credential) are warnings; a broken business rule ("nothing to change") is info.
 */
import type { Log } from './ports.js';

export interface Refusal {
  refusal: string;
  /** Who tried: Slack user and team, technical user, client address. */
  who: Record<string, unknown>;
  /** What they tried: the command, the button and what it named, the method and path. */
  what: Record<string, unknown>;
}

// A request id that names nothing can only come from a forged button (requests are never deleted).
const SECURITY = /^(AUTH|SLACK|API)\.|^REQUEST\.(SELF_DECISION|NOT_FOUND)$|^REVEAL\./;

/** True for codes that mean "not allowed" rather than "not possible". */
export const isSecurityRefusal = (code: string): boolean => SECURITY.test(code);

export function logRefusal(log: Log, r: Refusal): void {
  if (isSecurityRefusal(r.refusal)) log.warn(r, 'refused');
  else log.info(r, 'refused');
}
