/**
 * THE ONE WAY typed text becomes Slack text: escape first, clip after.
 *
 * 1. Escape every value a person typed with `typed()` (lists: `typedList()`; our own plain text
 *    that quotes typed values and our own mentions: `plainWithMentions()`).
 * 2. Build every text object and block that carries the result with the builders below, which
 *    clip to Slack's limit *after* escaping: `section()`, `context()`, `mrkdwn()`, `header()`,
 *    `plainText()`, `messageText()` (a message's top-level text) and `linesWithin()` (a list
 *    message cut at whole lines with "…and N more"). Slack's limits are in `SLACK_LIMITS`.
 * 3. A request's stored outcome is shown with `outcomeText()` (request.ts): escaped, with only the
 *    mentions of the request's own people live.
 *
 * Never clip typed text before escaping it (`typed(s.slice(0, n))`): an escaped `_` is 24
 * characters, so 300 typed characters can become 7,200. To give one typed value a budget inside
 * a longer text, use `typedClipped(s, max)`. test/slack/blocks/limits.test.ts runs every exported
 * builder of src/slack/blocks with worst-case typed input and fails on a builder it does not know.
 */

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
 * With `allowed` (the ids a request itself holds: requester, approvers, new owner), only mentions
 * of those stay live: a mention typed into a quoted description (`<@U…>` in a `/techuser update`)
 * is escaped like the rest of it.
 */
export function plainWithMentions(s: string, allowed?: ReadonlySet<string>): string {
  const mentions = s.match(MENTION) ?? [];
  const keep = (m: string) => (allowed === undefined || allowed.has(m.replace(/^<[@!](subteam\^)?|>$/g, '')) ? m : typed(m));
  return s.split(MENTION).map(typed).reduce((out, part, i) => out + (i ? keep(mentions[i - 1]!) : '') + part, '');
}

/**
 * mrkdwn cut to Slack's `max` characters (3000 for a section or context text) without cutting a
 * token or an entity in half: escaped text is longer than what was typed (a `*` takes 24
 * characters), so 500 typed characters can pass the limit, and Slack refuses the whole message.
 */
export function clipMrkdwn(s: string, max: number = SLACK_LIMITS.section): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  return `${cut.replace(/<[^>]*$|&[a-z]*$/, '')}…`;
}

/** One typed value escaped, then clipped to `max` characters of mrkdwn (a budget inside a longer text). */
export const typedClipped = (s: string, max: number): string => clipMrkdwn(typed(s), max);

/**
 * Slack's limits on what Keywarden sends (docs.slack.dev, Block Kit reference): a text object
 * holds 3,000 characters; a header, a placeholder and our other plain labels 150; a button or an
 * option 75; a modal's title, submit and close 24; a message 50 blocks, a view 100; a message's
 * top-level text is cut by Slack past 40,000. Context elements are held to 2,000, stricter than
 * the 3,000 of a text object, so a context line stays a line.
 */
export const SLACK_LIMITS = {
  section: 3000, context: 2000, header: 150, plainText: 150, button: 75, option: 75, modalTitle: 24,
  messageText: 40_000, messageBlocks: 50, viewBlocks: 100,
} as const;

type Section = { type: 'section'; text: { type: 'mrkdwn'; verbatim: true; text: string } };
type Context = { type: 'context'; elements: [{ type: 'mrkdwn'; verbatim: true; text: string }] };

/**
 * A mrkdwn text object, clipped after escaping. `verbatim`: Slack links or mentions nothing by
 * itself; the only markup is ours, typed text escaped.
 */
export const mrkdwn = (text: string, max: number = SLACK_LIMITS.section) => ({ type: 'mrkdwn' as const, verbatim: true as const, text: clipMrkdwn(text, max) });

/** A section block of mrkdwn (escaped already), clipped to Slack's 3,000 characters. */
export const section = (text: string, extra: { block_id?: string } = {}): Section => ({ type: 'section', ...extra, text: mrkdwn(text) });

/** A context block of one mrkdwn element (escaped already), clipped to 2,000 characters. */
export const context = (text: string): Context => ({ type: 'context', elements: [mrkdwn(text, SLACK_LIMITS.context)] });

/** Plain text (Slack shows it as typed: nothing to escape), clipped to `max` (150 by default). */
export function plainText(text: string, max: number = SLACK_LIMITS.plainText) {
  const chars = [...text];
  return { type: 'plain_text' as const, text: chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…` };
}

/** A header block, clipped to Slack's 150 characters. */
export const header = (text: string) => ({ type: 'header' as const, text: plainText(text, SLACK_LIMITS.header) });

/** A message's top-level text (mrkdwn, escaped already), clipped to Slack's 40,000 characters. */
export const messageText = (text: string): string => clipMrkdwn(text, SLACK_LIMITS.messageText);

/**
 * A list message: `head`, then as many whole `lines` as fit in `max` characters, then "…and N
 * more" (`more(n)`) for those left out. Lines are escaped already; each is clipped to a section's
 * 3,000 characters, so one long line cannot push out all the others.
 */
export function linesWithin(head: string, lines: readonly string[], more: (n: number) => string, max: number = SLACK_LIMITS.messageText): string {
  let out = clipMrkdwn(head, SLACK_LIMITS.section);
  for (let i = 0; i < lines.length; i++) {
    const line = clipMrkdwn(lines[i]!, SLACK_LIMITS.section);
    const rest = lines.length - i - 1;
    if (out.length + 1 + line.length + (rest ? 1 + more(rest).length : 0) > max) return `${out}\n${more(lines.length - i)}`;
    out += `\n${line}`;
  }
  return out;
}
