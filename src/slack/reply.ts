import { randomUUID } from 'node:crypto';
import type { Log } from '../app/ports.js';
import { isDomainError } from '../domain/errors.js';

/**
 * What a person in Slack reads when something went wrong: the rule that was broken, or, for
 * anything unexpected, a short apology with a reference the operator can find in the logs.
 */
export function errorText(err: unknown, log: Log, context: object): string {
  if (isDomainError(err)) return err.message;
  const ref = randomUUID().slice(0, 8);
  log.error({ err, ref, ...context }, 'unexpected error in a Slack listener');
  return `Something went wrong on our side and nothing was changed. Please try again; if it keeps happening, give your operator this reference: ${ref}.`;
}
