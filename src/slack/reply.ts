import { randomUUID } from 'node:crypto';
import type { Log } from '../app/ports.js';
import { logRefusal } from '../app/refusal.js';
import { isStoreUnavailable } from '../app/store-unavailable.js';
import { isDomainError } from '../domain/errors.js';
import { plainWithMentions } from './blocks/typed.js';

/** Said when the store is down or too slow: nothing was stored, so trying again is safe. */
export const STORE_UNAVAILABLE_TEXT =
  "Keywarden cannot reach its database right now, so nothing was changed. Please try again in a minute.";

/**
 * What a person in Slack reads when something went wrong: the rule that was broken, or, for
 * anything unexpected, a short apology with a reference the operator can find in the logs.
 * `context` names who tried what: `user` and `team` are who, everything else is what; a domain
 * error is logged as a refusal in the shape of app/refusal.ts.
 */
export function errorText(err: unknown, log: Log, context: object): string {
  if (isDomainError(err)) {
    const { user, team, ...what } = context as Record<string, unknown>;
    logRefusal(log, { refusal: err.code, who: { user, team }, what });
    // Domain messages are plain text that may quote what was typed (a bad username, a date).
    return plainWithMentions(err.message);
  }
  if (isStoreUnavailable(err)) {
    log.error({ err, ...context }, 'the store is unavailable');
    return STORE_UNAVAILABLE_TEXT;
  }
  const ref = randomUUID().slice(0, 8);
  log.error({ err, ref, ...context }, 'unexpected error in a Slack listener');
  return `Something went wrong on our side and nothing was changed. Please try again; if it keeps happening, give your operator this reference: ${ref}.`;
}
