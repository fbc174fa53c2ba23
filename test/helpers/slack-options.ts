/**
 * What Slack does for an external select in a modal: at each keystroke it sends a signed
 * `block_suggestion` request to the app's `/slack/events`, and shows the options only when the
 * answer is a 200 within 3 seconds whose JSON Slack accepts (docs.slack.dev, "external_select",
 * "option", "option group"): `options` or `option_groups`, at most 100 options (100 groups), each
 * option's text plain_text of at most 75 characters, its value at most 150, a description at most
 * 75, a group label plain_text of at most 75. Anything else shows an error in the menu; the
 * helper names what Slack would have refused.
 */
import { randomUUID } from 'node:crypto';
import { SIGNING_SECRET, TEAM, type TestApp } from './keywarden.js';
import { postSigned } from './slack-requests.js';
import { optionsAnswerError, type SlackOption } from './options-limits.js';

export interface SuggestionInput {
  userId: string;
  teamId?: string;
  /** The input's block id and its element's action id. */
  blockId: string;
  actionId?: string;
  /** What is typed in the select's search box. */
  value: string;
  view: { id?: string; callback_id: string; private_metadata: string };
}

/** A block_suggestion payload as Slack posts it: `payload=<url-encoded JSON>`. */
export function blockSuggestionBody(i: SuggestionInput): string {
  const teamId = i.teamId ?? TEAM;
  const payload = {
    type: 'block_suggestion',
    user: { id: i.userId, username: i.userId.toLowerCase(), name: i.userId.toLowerCase(), team_id: teamId },
    container: { type: 'view', view_id: i.view.id ?? 'V1' },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    action_id: i.actionId ?? 'value',
    block_id: i.blockId,
    value: i.value,
    team: { id: teamId, domain: 'keywarden-test' },
    enterprise: null,
    is_enterprise_install: false,
    view: {
      id: i.view.id ?? 'V1', team_id: teamId, type: 'modal', callback_id: i.view.callback_id, private_metadata: i.view.private_metadata,
      state: { values: {} }, hash: '1700000000.abcdef', app_id: 'A1', bot_id: 'BBOT', blocks: [],
    },
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export interface Suggested {
  status: number;
  ms: number;
  json: any;
  /** Every option, groups flattened. */
  options: SlackOption[];
  /** The group labels, when the answer had groups. */
  groups: string[];
}

/**
 * Types `value` into an opened modal's external select (block `blockId`) as `userId`, signed
 * like Slack; throws when Slack would not show the answer. `o.secret` signs with another secret
 * (a forged request; then the answer is returned unchecked).
 */
export async function suggest(
  t: TestApp, view: { callback_id: string; private_metadata: string }, userId: string, value: string,
  o: { blockId?: string; teamId?: string; secret?: string } = {},
): Promise<Suggested> {
  const body = blockSuggestionBody({ userId, blockId: o.blockId ?? 'user', value, view: { ...view, id: `V${randomUUID().slice(0, 6)}` }, ...(o.teamId && { teamId: o.teamId }) });
  const res = await postSigned(t.kw.url!, body, { secret: o.secret ?? SIGNING_SECRET });
  const options: SlackOption[] = res.json?.options ?? (res.json?.option_groups ?? []).flatMap((g: any) => g.options ?? []);
  const groups: string[] = (res.json?.option_groups ?? []).map((g: any) => g.label?.text);
  if (o.secret === undefined) {
    const err = optionsAnswerError(res.status, res.ms, res.json);
    if (err) throw new Error(`Slack would show an error in the menu: the app ${err}`);
  }
  return { status: res.status, ms: res.ms, json: res.json, options, groups };
}

/**
 * Types the first letters of `email` into the person picker of an opened modal and picks the
 * option labelled with it: the value Slack then submits, as a view_submission value.
 */
export async function pickPerson(t: TestApp, view: { callback_id: string; private_metadata: string }, userId: string, email: string): Promise<{ option: string }> {
  const { options } = await suggest(t, view, userId, email.slice(0, 4));
  const picked = options.find((o) => o.text.text === email);
  if (!picked) throw new Error(`the picker did not offer ${email} for "${email.slice(0, 4)}": ${options.map((o) => o.text.text).join(', ')}`);
  return { option: picked.value };
}
