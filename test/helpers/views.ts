/**
 * Steps through Keywarden's modals and App Home the way Slack would drive them: a click or a
 * command with a trigger_id, the views.open it causes (recorded by FakeSlack), and the signed
 * view_submission of that view.
 */
import { randomUUID } from 'node:crypto';
import { ids } from '../../src/slack/ids.js';
import { APPROVALS, SIGNING_SECRET, TEAM, type Sent, type TestApp } from './keywarden.js';
import type { SlackCall } from './fake-slack.js';
import {
  appHomeOpenedBody, blockActionBody, homeActionBody, postSigned, slashCommandBody, viewSubmissionBody,
  type ViewSubmissionInput,
} from './slack-requests.js';

const uniqueTrigger = () => `${Date.now()}.${randomUUID().slice(0, 8)}.faketrigger`;

/** A signed view_submission; `json` is the ack's body (e.g. `{ response_action: 'errors', ... }`). */
export async function submitView(t: TestApp, input: ViewSubmissionInput) {
  return postSigned(t.kw.url!, viewSubmissionBody({ teamId: TEAM, ...input }), { secret: SIGNING_SECRET });
}

/** A slash command with a known trigger_id; resolves with the command's answer id and the views.open it caused. */
export async function commandOpeningForm(t: TestApp, userId: string, text: string, command: string, o: { teamId?: string } = {}) {
  const triggerId = uniqueTrigger();
  const responseId = `form-cmd-${randomUUID().slice(0, 8)}`;
  const res = await postSigned(
    t.kw.url!,
    slashCommandBody({ command, text, userId, teamId: o.teamId ?? TEAM, responseUrl: t.slack.responseUrl(responseId), triggerId }),
    { secret: SIGNING_SECRET },
  );
  return { res, responseId, triggerId, opened: () => t.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId) };
}

/** Clicks Reject on the approval message; resolves with the click's answer id and its views.open. */
export async function clickReject(t: TestApp, requestId: string, userId: string, o: { teamId?: string } = {}) {
  const triggerId = uniqueTrigger();
  const responseId = `reject-${randomUUID().slice(0, 8)}`;
  const res = await postSigned(
    t.kw.url!,
    blockActionBody({ actionId: ids.REJECT, value: requestId, userId, teamId: o.teamId ?? TEAM, responseUrl: t.slack.responseUrl(responseId), channelId: APPROVALS, triggerId }),
    { secret: SIGNING_SECRET },
  );
  return { res, responseId, triggerId, opened: () => t.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId) };
}

/** Submits an opened modal with these values. */
export function submitOpened(t: TestApp, opened: SlackCall, userId: string, values: ViewSubmissionInput['values'], o: { teamId?: string } = {}) {
  const view = opened.args.view;
  return submitView(t, { callbackId: view.callback_id, privateMetadata: view.private_metadata, userId, values, ...(o.teamId && { teamId: o.teamId }) });
}

/**
 * Rejects through the form: Reject click, then the form submitted with `reason`. Resolves with
 * the click's answer id (where the result is answered, as a Reject click's was before).
 */
export async function rejectWithReason(t: TestApp, requestId: string, userId: string, reason: string, o: { teamId?: string } = {}): Promise<Sent> {
  const click = await clickReject(t, requestId, userId, o);
  const submitted = await submitOpened(t, await click.opened(), userId, { reason }, o);
  return { ...submitted, responseId: click.responseId };
}

/** Opens the App Home as `userId`; resolves with the views.publish it caused. */
export async function openHome(t: TestApp, userId: string, o: { teamId?: string } = {}): Promise<SlackCall> {
  const before = t.slack.callsTo('views.publish').length;
  const res = await postSigned(t.kw.url!, appHomeOpenedBody({ userId, teamId: o.teamId ?? TEAM }), { secret: SIGNING_SECRET, contentType: 'application/json' });
  if (res.status !== 200) throw new Error(`app_home_opened answered ${res.status}: ${res.text}`);
  return t.slack.waitFor('views.publish', (c) => c.args.user_id === userId && t.slack.callsTo('views.publish').indexOf(c) >= before);
}

/** Clicks a button in the App Home (no response_url); returns the signed request's answer. */
export function clickInHome(t: TestApp, actionId: string, value: string, userId: string, o: { teamId?: string; triggerId?: string } = {}) {
  return postSigned(t.kw.url!, homeActionBody({ actionId, value, userId, teamId: o.teamId ?? TEAM, ...(o.triggerId && { triggerId: o.triggerId }) }), { secret: SIGNING_SECRET });
}
