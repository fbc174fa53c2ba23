/**
 * Build and send requests the way Slack sends them to the app's
 * `POST /slack/events` endpoint: slash commands and block_actions payloads,
 * signed with the signing secret.
 *
 *   const body = slashCommandBody({ command: '/keywarden', text: 'help', userId: 'U1', responseUrl: slack.responseUrl() });
 *   const res = await postSigned(appUrl, body, { secret: SIGNING_SECRET });
 *   expect(res.status).toBe(200);
 *   expect(res.ms).toBeLessThan(3000); // Slack gives up after 3 s
 */
import { createHmac } from 'node:crypto';

/**
 * Slack's request signature: `v0=` + hex HMAC-SHA256(secret, `v0:<ts>:<raw body>`).
 * Bolt rejects timestamps more than 5 minutes old, so pass an old `timestampSec`
 * to test replay protection.
 */
export function sign(
  secret: string,
  body: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const digest = createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestampSec) };
}

export interface CommandInput {
  command: string;
  text: string;
  userId: string;
  teamId?: string;
  channelId?: string;
  responseUrl: string;
  triggerId?: string;
  userName?: string;
  /** Enterprise Grid: the organisation, and whether the app is installed org-wide there. */
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
}

/** An application/x-www-form-urlencoded slash command body, fields in Slack's order. */
export function slashCommandBody(i: CommandInput): string {
  const channelId = i.channelId ?? 'C-ADMIN';
  return new URLSearchParams({
    token: 'legacy-verification-token', // deprecated by Slack but still sent
    team_id: i.teamId ?? 'T1',
    team_domain: 'keywarden-test',
    channel_id: channelId,
    channel_name: channelName(channelId),
    user_id: i.userId,
    user_name: i.userName ?? i.userId.toLowerCase(),
    command: i.command,
    text: i.text,
    api_app_id: 'A1',
    ...(i.enterpriseId && { enterprise_id: i.enterpriseId, enterprise_name: i.enterpriseId }),
    is_enterprise_install: i.isEnterpriseInstall ? 'true' : 'false',
    response_url: i.responseUrl,
    trigger_id: i.triggerId ?? triggerId(),
  }).toString();
}

export interface ActionInput {
  actionId: string;
  value: string;
  userId: string;
  teamId?: string;
  channelId?: string;
  messageTs?: string;
  responseUrl: string;
  blockId?: string;
  triggerId?: string;
  /** Enterprise Grid: the organisation; `orgWide`: the app is installed org-wide, so Slack sends `team: null`. */
  enterpriseId?: string;
  orgWide?: boolean;
}

/** A button click on a channel message: `payload=<url-encoded JSON>` as Slack posts it. */
export function blockActionBody(i: ActionInput): string {
  const teamId = i.teamId ?? 'T1';
  const channelId = i.channelId ?? 'C-APPROVALS';
  const messageTs = i.messageTs ?? '1700000000.000001';
  const actionTs = (Date.now() / 1000).toFixed(6);
  const payload = {
    type: 'block_actions',
    user: { id: i.userId, username: i.userId.toLowerCase(), name: i.userId.toLowerCase(), team_id: teamId },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: i.triggerId ?? triggerId(),
    team: i.orgWide ? null : { id: teamId, domain: 'keywarden-test', ...(i.enterpriseId && { enterprise_id: i.enterpriseId }) },
    enterprise: i.enterpriseId ? { id: i.enterpriseId, name: i.enterpriseId } : null,
    is_enterprise_install: i.orgWide === true,
    channel: { id: channelId, name: channelName(channelId) },
    message: { type: 'message', user: 'UBOT', bot_id: 'BBOT', ts: messageTs, text: 'Approval request', blocks: [] },
    state: { values: {} },
    response_url: i.responseUrl,
    actions: [
      { type: 'button', action_id: i.actionId, block_id: i.blockId ?? 'actions', text: { type: 'plain_text', text: i.actionId, emoji: true }, value: i.value, action_ts: actionTs },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * POST a signed body to `${baseUrl}/slack/events` and time it.
 * `opts.headers` are applied last, so they can override the signature headers
 * (e.g. to send a bad signature).
 */
export async function postSigned(
  baseUrl: string,
  body: string,
  opts: { secret: string; timestampSec?: number; contentType?: string; headers?: Record<string, string> },
): Promise<{ status: number; text: string; json?: any; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      ...sign(opts.secret, body, opts.timestampSec),
      ...opts.headers,
    },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined; // Bolt acks with an empty body or plain text
  }
  return { status: res.status, text, json, ms };
}

/** 'C-ADMIN' -> 'admin', a plausible channel name for the id. */
function channelName(channelId: string): string {
  return channelId.replace(/^C-?/, '').toLowerCase() || 'general';
}

let triggerSeq = 0;
function triggerId(): string {
  return `${Date.now()}.${++triggerSeq}.faketrigger`;
}

export interface ViewSubmissionInput {
  /** The modal's callback_id. */
  callbackId: string;
  /** The modal's private_metadata, as the app set it (Slack sends it back verbatim). */
  privateMetadata: string;
  userId: string;
  teamId?: string;
  /**
   * Field values by block id: a string is typed text, `{ option }` a static select's choice,
   * `{ date }` a datepicker's date, `{ user }` a users_select's choice; null leaves the input empty. Each element's action id is `actionId`.
   */
  values: Record<string, string | { option: string } | { date: string } | { user: string } | null>;
  actionId?: string;
  viewId?: string;
}

/** A modal submitted: `payload=<url-encoded JSON>` of type view_submission, as Slack posts it. */
export function viewSubmissionBody(i: ViewSubmissionInput): string {
  const teamId = i.teamId ?? 'T1';
  const actionId = i.actionId ?? 'value';
  const state = (v: ViewSubmissionInput['values'][string]) => {
    if (v === null) return { type: 'plain_text_input', value: null };
    if (typeof v === 'string') return { type: 'plain_text_input', value: v };
    if ('option' in v) return { type: 'static_select', selected_option: { text: { type: 'plain_text', text: v.option }, value: v.option } };
    if ('user' in v) return { type: 'users_select', selected_user: v.user };
    return { type: 'datepicker', selected_date: v.date };
  };
  const payload = {
    type: 'view_submission',
    team: { id: teamId, domain: 'keywarden-test' },
    user: { id: i.userId, username: i.userId.toLowerCase(), name: i.userId.toLowerCase(), team_id: teamId },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    trigger_id: triggerId(),
    view: {
      id: i.viewId ?? 'V1',
      team_id: teamId,
      type: 'modal',
      callback_id: i.callbackId,
      private_metadata: i.privateMetadata,
      state: { values: Object.fromEntries(Object.entries(i.values).map(([block, v]) => [block, { [actionId]: state(v) }])) },
      hash: '1700000000.abcdef',
      app_id: 'A1',
      bot_id: 'BBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * An Events API callback for `app_uninstalled` (or `tokens_revoked` of the bot), as JSON: the app
 * was removed from Slack workspace `teamId`, or (`orgWide`) from organisation `enterpriseId`.
 */
export function appUninstalledBody(i: { teamId?: string; enterpriseId?: string; orgWide?: boolean; kind?: 'app_uninstalled' | 'tokens_revoked'; at?: Date }): string {
  const teamId = i.orgWide ? null : (i.teamId ?? 'T1');
  const event = i.kind === 'tokens_revoked'
    ? { type: 'tokens_revoked', tokens: { bot: [`UBOT${i.orgWide ? i.enterpriseId : teamId}`] }, event_ts: (Date.now() / 1000).toFixed(6) }
    : { type: 'app_uninstalled', event_ts: (Date.now() / 1000).toFixed(6) };
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: teamId ?? i.enterpriseId,
    ...(i.enterpriseId && { enterprise_id: i.enterpriseId }),
    api_app_id: 'A1',
    event,
    type: 'event_callback',
    event_id: `Ev${Date.now()}${++triggerSeq}`,
    event_time: Math.floor((i.at ?? new Date()).getTime() / 1000),
    authorizations: [{ team_id: teamId, enterprise_id: i.enterpriseId ?? null, user_id: `UBOT${teamId ?? i.enterpriseId}`, is_bot: true, is_enterprise_install: i.orgWide === true }],
  });
}

/** An Events API callback for `app_home_opened`, as JSON (send it with contentType 'application/json'). */
export function appHomeOpenedBody(i: { userId: string; teamId?: string; tab?: 'home' | 'messages' }): string {
  const teamId = i.teamId ?? 'T1';
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: teamId,
    api_app_id: 'A1',
    event: { type: 'app_home_opened', user: i.userId, channel: `D${i.userId.slice(1)}`, tab: i.tab ?? 'home', event_ts: (Date.now() / 1000).toFixed(6) },
    type: 'event_callback',
    event_id: `Ev${Date.now()}${++triggerSeq}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: 'UBOT', is_bot: true }],
  });
}

/** A button click in the App Home tab: no channel, no message, no response_url. */
export function homeActionBody(i: { actionId: string; value: string; userId: string; teamId?: string; triggerId?: string }): string {
  const teamId = i.teamId ?? 'T1';
  const payload = {
    type: 'block_actions',
    user: { id: i.userId, username: i.userId.toLowerCase(), name: i.userId.toLowerCase(), team_id: teamId },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    container: { type: 'view', view_id: 'VHOME' },
    trigger_id: i.triggerId ?? triggerId(),
    team: { id: teamId, domain: 'keywarden-test' },
    enterprise: null,
    is_enterprise_install: false,
    view: { id: 'VHOME', type: 'home', team_id: teamId, callback_id: '', private_metadata: '', state: { values: {} }, blocks: [] },
    actions: [
      { type: 'button', action_id: i.actionId, block_id: `decision:${i.value}`, text: { type: 'plain_text', text: i.actionId, emoji: true }, value: i.value, action_ts: (Date.now() / 1000).toFixed(6) },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** An Events API callback for `function_executed`: a Workflow Builder step of ours was started. */
export function functionExecutedBody(i: { callbackId: string; executionId: string; inputs: Record<string, unknown>; teamId?: string }): string {
  const teamId = i.teamId ?? 'T1';
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: teamId,
    api_app_id: 'A1',
    event: {
      type: 'function_executed',
      function: { id: 'Fn1', callback_id: i.callbackId, title: i.callbackId, type: 'app', app_id: 'A1', date_created: 1, date_updated: 1 },
      inputs: i.inputs,
      function_execution_id: i.executionId,
      workflow_execution_id: `Wx${i.executionId}`,
      event_ts: (Date.now() / 1000).toFixed(6),
      bot_access_token: 'xwfp-test-function-token',
    },
    type: 'event_callback',
    event_id: `Ev${Date.now()}${++triggerSeq}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: 'UBOT', is_bot: true }],
  });
}

/** An Events API callback for `user_change` (a profile changed), as JSON: the user as Slack sends it. */
export function userChangeBody(i: { userId: string; email: string; teamId?: string }): string {
  const teamId = i.teamId ?? 'T1';
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: teamId,
    api_app_id: 'A1',
    event: { type: 'user_change', user: { id: i.userId, team_id: teamId, name: i.userId.toLowerCase(), profile: { email: i.email } }, event_ts: (Date.now() / 1000).toFixed(6), cache_ts: Math.floor(Date.now() / 1000) },
    type: 'event_callback',
    event_id: `Ev${Date.now()}${++triggerSeq}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: 'UBOT', is_bot: true }],
  });
}

/**
 * A click inside an open modal (a button, or a static_select's choice when `selected` is given):
 * no channel, no response_url; the view it came from, with its private_metadata.
 */
export function viewActionBody(i: { actionId: string; value: string; userId: string; view: { id: string; private_metadata?: string }; teamId?: string; selected?: boolean }): string {
  const teamId = i.teamId ?? 'T1';
  const action = i.selected
    ? { type: 'static_select', action_id: i.actionId, block_id: 'b', selected_option: { text: { type: 'plain_text', text: i.value }, value: i.value }, action_ts: (Date.now() / 1000).toFixed(6) }
    : { type: 'button', action_id: i.actionId, block_id: 'b', text: { type: 'plain_text', text: i.actionId, emoji: true }, value: i.value, action_ts: (Date.now() / 1000).toFixed(6) };
  const payload = {
    type: 'block_actions',
    user: { id: i.userId, username: i.userId.toLowerCase(), name: i.userId.toLowerCase(), team_id: teamId },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    container: { type: 'view', view_id: i.view.id },
    trigger_id: triggerId(),
    team: { id: teamId, domain: 'keywarden-test' },
    enterprise: null,
    is_enterprise_install: false,
    view: { id: i.view.id, type: 'modal', team_id: teamId, callback_id: 'keywarden.form.access_review', private_metadata: i.view.private_metadata ?? '', state: { values: {} }, blocks: [], hash: 'h1' },
    actions: [action],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
