/**
 * What Slack accepts as the answer to an options request (block_suggestion) of an external
 * select (docs.slack.dev: "external_select", "option", "option group"): a 200 within 3 seconds
 * whose JSON holds `options` or `option_groups`, at most 100 options (and 100 groups), each
 * option's text plain_text of at most 75 characters, its value 1-150 characters, a description
 * at most 75, a group's label plain_text of at most 75. Anything else shows an error in the menu.
 */

export interface SlackOption { text: { type: string; text: string }; value: string; description?: { type: string; text: string } }

/** Why Slack would not show this answer as a menu's options (null: it would). */
export function optionsAnswerError(status: number, ms: number, json: any): string | null {
  if (status !== 200) return `answered HTTP ${status}`;
  if (ms > 3000) return `answered after ${Math.round(ms)} ms (Slack waits 3,000)`;
  if (typeof json !== 'object' || json === null) return 'answered no JSON';
  const plain = (t: any, max: number, what: string) => {
    if (t?.type !== 'plain_text' || typeof t.text !== 'string' || t.text.length === 0) return `${what} is not plain_text`;
    return t.text.length > max ? `${what} has ${t.text.length} characters (at most ${max})` : null;
  };
  const optionError = (o: any) =>
    plain(o?.text, 75, 'an option\'s text')
    ?? (typeof o?.value !== 'string' || o.value.length === 0 || o.value.length > 150 ? 'an option\'s value is not 1-150 characters' : null)
    ?? (o?.description !== undefined ? plain(o.description, 75, 'an option\'s description') : null);
  const check = (options: unknown) => {
    if (!Array.isArray(options)) return 'options is not a list';
    if (options.length > 100) return `${options.length} options (at most 100)`;
    for (const o of options) {
      const e = optionError(o);
      if (e) return e;
    }
    return null;
  };
  if ('options' in json === 'option_groups' in json) return 'answered neither options nor option_groups (or both)';
  if ('options' in json) return check(json.options);
  if (!Array.isArray(json.option_groups) || json.option_groups.length > 100) return 'option_groups is not a list of at most 100';
  for (const g of json.option_groups) {
    const e = plain(g?.label, 75, 'a group label') ?? check(g?.options);
    if (e) return e;
  }
  return null;
}

