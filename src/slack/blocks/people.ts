/**
 * The answer to the person picker's options request (block_suggestion): at most 100 options, as
 * Slack allows, each valued by the person's user id (never the typed text) and labelled with
 * their email as plain text (shown as typed, nothing to escape), clipped to Slack's 75 characters.
 * When more match than can be listed, the options come in one group whose label says so.
 */
import type { PeopleMatches } from '../../domain/people-index.js';
import { plainText, SLACK_LIMITS } from './typed.js';

/** Slack shows at most 100 options in a select. */
export const MAX_PERSON_OPTIONS = 100;

export interface PersonOption {
  text: { type: 'plain_text'; text: string };
  description?: { type: 'plain_text'; text: string };
  value: string;
}
export type PersonOptions = { options: PersonOption[] } | { option_groups: Array<{ label: { type: 'plain_text'; text: string }; options: PersonOption[] }> };

export function personOptions(found: PeopleMatches): PersonOptions {
  const options = found.people.slice(0, MAX_PERSON_OPTIONS).map((p): PersonOption => {
    const name = [p.firstName, p.lastName].filter(Boolean).join(' ');
    return {
      text: plainText(p.email, SLACK_LIMITS.option),
      description: plainText(name ? `${name} · ${p.note}` : p.note, SLACK_LIMITS.option),
      value: p.userId,
    };
  });
  if (found.total <= options.length) return { options };
  const label = plainText(`The first ${options.length} of ${found.total}: type more to narrow it`, SLACK_LIMITS.option);
  return { option_groups: [{ label, options }] };
}

/** The answer when nothing may be listed (a bad payload, a refusal, a search that took too long). */
export const noPersonOptions = (): PersonOptions => ({ options: [] });
