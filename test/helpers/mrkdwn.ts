/**
 * What Slack would show for a piece of mrkdwn, and which markup in it is live: enough of Slack's
 * rules to tell typed text shown as text from typed text acting as markup.
 *
 * - `<...>` is live markup (mention, link, channel, special mention), except a date token: Slack
 *   shows a date's fallback, and a date with an invalid format (`{_}`) only ever shows its fallback,
 *   as plain text.
 * - `*x*`, `_x_`, `~x~` and `` `x` `` format when the opening character follows a line start,
 *   whitespace or an opening bracket and the closing one precedes an end, whitespace or punctuation.
 * - `&lt;`, `&gt;` and `&amp;` show as `<`, `>` and `&`, and nothing else is decoded.
 */
export interface Rendered {
  /** The text a reader sees. */
  shown: string;
  /** Each piece of live markup, as written: `<!channel>`, `<https://x|y>`, `*bold*`. */
  live: string[];
}

const PLACEHOLDER = (i: number) => String.fromCodePoint(0xe000 + i);
const FORMAT = /(^|[\s(\[{])([*_~`])([^\s*_~`](?:[^\n]*?[^\s])?)\2(?=$|[\s.,:;!?)\]}'"-])/gm;

export function renderMrkdwn(text: string): Rendered {
  const live: string[] = [];
  const plain: string[] = [];
  // Tokens first: they are parsed before formatting, and their insides are not formatted.
  let body = text.replace(/<([^<>]*)>/g, (whole, inner: string) => {
    const date = /^!date\^[^^|]*\^([^|]*)(?:\^[^|]*)?\|(.*)$/s.exec(inner);
    if (date) {
      if (!date[1]!.includes('{_}')) live.push(whole);
      plain.push(date[2]!);
    } else {
      live.push(whole);
      const [target, label] = inner.split('|');
      plain.push(label ?? target!.replace(/^!/, '@'));
    }
    return PLACEHOLDER(plain.length - 1);
  });
  body = body.replace(FORMAT, (whole, before: string, mark: string, inner: string) => {
    live.push(`${mark}${inner}${mark}`);
    return before + inner;
  });
  const shown = body
    .replace(/[\ue000-\uf8ff]/g, (c) => plain[c.codePointAt(0)! - 0xe000]!)
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { shown, live };
}

/** Every mrkdwn string of a recorded Slack call: its text, and the mrkdwn texts of its blocks or view. */
export function mrkdwnOf(args: Record<string, any>): string[] {
  const out: string[] = [];
  if (typeof args.text === 'string') out.push(args.text);
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
    for (const x of Object.values(o)) walk(x);
  };
  walk(args.blocks);
  walk(args.view);
  return out;
}
