/**
 * Shared pieces of the slash-command grammar. Pure functions: text in, words or an error out.
 */
import { DURATION_USAGE, parseDuration } from '../../domain/grant.js';
import { isDomainError } from '../../domain/errors.js';
import { isRole, type Role } from '../../domain/permission.js';
import { isEmail } from '../../domain/user.js';
import { typedClipped } from '../blocks/typed.js';

/** A command that could not be understood: what was wrong, and the usage to show. */
export interface UsageError {
  ok: false;
  error: string;
}
export const usageError = (error: string): UsageError => ({ ok: false, error });

const MAX_TEXT = 2000;
// Control characters (except tab/newline, which split words) and bidi overrides have no place in
// a command; they only serve to make one thing look like another.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

export interface Words {
  words: string[];
  /** The value of `workspace:<name>`, wherever it stood. */
  workspace?: string;
}

/** Text with control or invisible characters is refused, whether typed in Slack or sent to the API. */
export const refuseUnsafe = (text: string): UsageError | null =>
  UNSAFE.test(text) ? usageError('That command contains control or invisible characters; type it again plainly.') : null;

/** Splits command text into words and takes out `workspace:<name>`. */
export function splitWords(text: string): Words | UsageError {
  if (text.length > MAX_TEXT) return usageError(`That command is too long (over ${MAX_TEXT} characters).`);
  const unsafe = refuseUnsafe(text);
  if (unsafe) return unsafe;
  const all = text.trim().split(/\s+/).filter(Boolean);
  const out: Words = { words: [] };
  for (const w of all) {
    const m = /^workspace:(.*)$/i.exec(w);
    if (!m) {
      out.words.push(w);
      continue;
    }
    if (!m[1]) return usageError('`workspace:` needs a name, e.g. `workspace:meshlab`.');
    if (out.workspace !== undefined) return usageError('Name one workspace only.');
    out.workspace = m[1];
  }
  return out;
}

/** Slack turns typed emails into `<mailto:a@b.c|a@b.c>`; take the address back out. */
export function parseEmail(word: string | undefined): string | UsageError {
  if (!word) return usageError('An email address is missing.');
  const m = /^<mailto:([^|>]+)(\|[^>]*)?>$/.exec(word);
  const email = m ? m[1]! : word;
  if (!isEmail(email)) return usageError(`"${typedClipped(email, 320)}" is not an email address.`);
  return email;
}

export function parseRole(word: string | undefined): Role | UsageError {
  if (!word) return usageError('A role is missing: VIEWER, MEMBER or ADMIN.');
  const up = word.toUpperCase();
  return isRole(up) ? up : usageError(`"${typedClipped(word, 160)}" is not a role: use VIEWER, MEMBER or ADMIN.`);
}

/**
 * `for <duration>` where a command may have one (`role`): the minutes, or undefined when the
 * words do not start with `for`. `for` with nothing after it, or with something that is not a
 * duration, is an error: the words after the role are otherwise the reason.
 */
export function takeDuration(words: string[]): { minutes?: number; rest: string[] } | UsageError {
  if (words[0]?.toLowerCase() !== 'for') return { rest: words };
  const word = words[1];
  if (!word) return usageError(`\`for\` needs a duration: ${DURATION_USAGE}.`);
  try {
    return { minutes: parseDuration(word), rest: words.slice(2) };
  } catch (err) {
    if (!isDomainError(err)) throw err;
    return usageError(`"${typedClipped(word, 80)}" is not a duration: use ${DURATION_USAGE}, at least 1 minute.`);
  }
}

/** Looks like a duration (`4h`, `0h`, `-2h`, `2x`): a number with letters after it. */
const DURATION_LIKE = /^[+-]?\d+[a-z]+$/i;

/**
 * Commands that take no duration refuse `for <something like a duration>` where their reason
 * starts, rather than store it as a reason someone meant as a time limit.
 */
export function refuseDuration(command: string, words: string[]): UsageError | null {
  return words[0]?.toLowerCase() === 'for' && words[1] !== undefined && DURATION_LIKE.test(words[1])
    ? usageError(`\`${command}\` takes no duration: only \`role\` can give a role for a time.`)
    : null;
}

/** The rest of the words, as a reason (null when none was given). */
export function parseReason(words: string[]): string | null {
  const reason = words.join(' ').trim();
  return reason ? reason.slice(0, 500) : null;
}

export const isUsageError = (v: unknown): v is UsageError =>
  typeof v === 'object' && v !== null && (v as UsageError).ok === false;
