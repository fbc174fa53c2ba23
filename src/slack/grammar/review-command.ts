/** `/permission review start|status|stop [name]`: the words after `review`. */
import { typed } from '../blocks/typed.js';
import { usageError, type UsageError } from './words.js';

export const REVIEW_USAGE = '`/permission review start <name>` · `/permission review status [name]` · `/permission review stop <name>`  (access reviews of the workspace\'s policy)';

export type ReviewCommand = { action: 'review'; step: 'start' | 'stop'; name: string } | { action: 'review'; step: 'status'; name?: string };

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function parseReviewCommand(words: string[]): ReviewCommand | UsageError {
  const [step, name, ...extra] = words;
  const s = step?.toLowerCase();
  if (s !== 'start' && s !== 'stop' && s !== 'status') {
    return usageError(step ? `"${typed(step.slice(0, 40))}" is not a review command: use start, status or stop. ${REVIEW_USAGE}` : `Say what to do with access reviews. ${REVIEW_USAGE}`);
  }
  if (extra.length) return usageError(`One access review name at a time. ${REVIEW_USAGE}`);
  if (name !== undefined && !NAME.test(name)) return usageError(`"${typed(name.slice(0, 64))}" is not an access review name (letters, digits, dot, dash or underscore). ${REVIEW_USAGE}`);
  if (s === 'status') return { action: 'review', step: s, ...(name !== undefined && { name }) };
  if (name === undefined) return usageError(`Name the access review to ${s}. ${REVIEW_USAGE}`);
  return { action: 'review', step: s, name };
}
