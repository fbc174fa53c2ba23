/**
 * Text a person typed (a reason, a description, an email, a username, a label, a word echoed back
 * in an error), made safe to put inside Slack mrkdwn. It must show exactly what was typed and
 * never act as markup: no mention (`<!channel>`), no link with a forged label (`<https://x|y>`),
 * no bold or struck-out words, no fake second line.
 *
 * - `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;`: the only entities Slack decodes, and what
 *   stops mentions and links. A typed `&lt;` therefore shows as `&lt;`.
 * - `*`, `_`, `~` and `` ` `` cannot be escaped in mrkdwn. A zero-width space does not help: Slack
 *   treats it as a word boundary, which is the known way to *force* formatting mid-word (jsx-slack's
 *   "exact mode"). Backticks would change how the text looks and cannot hold a backtick. So each
 *   such character is written as the fallback of a date token with an invalid format,
 *   `<!date^00000000^{_}|*>`: Slack cannot format the date and shows the fallback, as plain text
 *   (jsx-slack's `<Escape>` does the same). What a reader sees is the typed character. The cost is
 *   length (24 characters each), which clipMrkdwn keeps within Slack's limits.
 * - Line breaks become one space, so typed text stays on its own line of the message and cannot
 *   add a line that looks like ours ("Approved by ...").
 */

/** Formatting characters, each shown through a date token's plain-text fallback. */
const FORMATTING = /[*_~`]/g;
const asFallback = (c: string) => `<!date^00000000^{_}|${c}>`;

/** Typed text as mrkdwn that shows it as typed. */
export function typed(s: string): string {
  return s
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(FORMATTING, asFallback);
}

/** A list of typed labels (customer roles, ACEs), each escaped. */
export const typedList = (xs: readonly string[], sep = ', ') => xs.map(typed).join(sep);

/**
 * Our own user and user group mentions (a policy rule's approvers), the one markup a message
 * built from plain text may carry. Typed values never carry them: ids in them are checked
 * (seed file, Slack payloads) and emails and names cannot hold `<`.
 */
const MENTION = /<@[UW][A-Z0-9]{2,20}>|<!subteam\^S[A-Z0-9]{2,20}>/g;

/**
 * A message written as plain text that quotes typed values (a domain error, a request's outcome):
 * all of it escaped like typed text, except the `<@U…>` and `<!subteam^S…>` mentions our own code put in.
 */
export function plainWithMentions(s: string): string {
  const mentions = s.match(MENTION) ?? [];
  return s.split(MENTION).map(typed).reduce((out, part, i) => out + (i ? mentions[i - 1] : '') + part, '');
}

/**
 * mrkdwn cut to Slack's `max` characters (3000 for a section or context text) without cutting a
 * token or an entity in half: escaped text is longer than what was typed (a `*` takes 24
 * characters), so 500 typed characters can pass the limit, and Slack refuses the whole message.
 */
export function clipMrkdwn(s: string, max = 3000): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  return `${cut.replace(/<[^>]*$|&[a-z]*$/, '')}…`;
}
