/**
 * Pure Block Kit builders for our modals: the request forms that `/techuser create` and
 * `/permission role` open when typed without arguments, and the form that asks an approver why
 * they reject. Inputs are keyed by `fields` (block ids) with action id VALUE; see forms/ids.ts.
 */
import type { types } from '@slack/bolt';
import { MAX_REJECTION_REASON } from '../../app/rejections.js';
import type { Grant } from '../../domain/grant.js';
import { formatDuration, maxGrantHours } from '../../domain/grant.js';
import { durationWords } from '../../domain/durations.js';
import { ROLES } from '../../domain/permission.js';
import type { ChangeRequest } from '../../domain/request.js';
import type { Workspace } from '../../domain/workspace.js';
import { fields, forms, VALUE } from '../forms/ids.js';
import { DURATION_CHOICES, PERMANENT } from '../forms/fields.js';
import type { FormMetadata, GrantExtendMetadata, RejectMetadata } from '../forms/metadata.js';
import { encodeMetadata } from '../forms/metadata.js';
import { slackTime } from './dates.js';
import { describeRequest, requesterMention } from './request.js';
import { clipMrkdwn, context, plainText, section, SLACK_LIMITS, typed } from './typed.js';

type Block = types.KnownBlock;
const DAY = 86_400_000;
/** How many characters Slack waits for before it asks for the people matching them. */
export const PERSON_QUERY_MIN = 1;

const plain = (text: string) => plainText(text);
const option = (value: string, text = value): types.PlainTextOption => ({ text: plainText(text, SLACK_LIMITS.option), value });
const roleSelect = (): types.StaticSelect => ({
  type: 'static_select', action_id: VALUE, placeholder: plain('Choose a role'), options: ROLES.map((r) => option(r)),
});
const textInput = (block: string, label: string, o: { optional?: boolean; multiline?: boolean; max?: number; placeholder?: string; hint?: string } = {}): Block => ({
  type: 'input', block_id: block, label: plain(label), optional: o.optional ?? false,
  element: {
    type: 'plain_text_input', action_id: VALUE, multiline: o.multiline ?? false,
    ...(o.max !== undefined && { max_length: o.max }), ...(o.placeholder && { placeholder: plain(o.placeholder) }),
  },
  ...(o.hint && { hint: plain(o.hint) }),
});
const intro = (text: string): Block => context(text);

/** The duration choices up to `maxMinutes` (the workspace's maximum), "permanent" first when offered. */
export function durationOptions(maxMinutes: number, permanent: boolean): types.PlainTextOption[] {
  return [
    ...(permanent ? [option(PERMANENT, 'Permanent')] : []),
    ...DURATION_CHOICES.filter((m) => m <= maxMinutes).map((m) => option(formatDuration(m), durationWords(m))),
  ];
}

/** The date an expiry picker starts at: 90 days from today (UTC). */
export const defaultExpiry = (now: Date) => new Date(now.getTime() + 90 * DAY).toISOString().slice(0, 10);

/** `/techuser create`: username, role, expiry date, and the optional description and labels. */
export function techuserCreateForm(ws: Workspace, meta: FormMetadata, now: Date): types.ModalView {
  return {
    type: 'modal', callback_id: forms.TECHUSER_CREATE, private_metadata: encodeMetadata(meta),
    title: plain('New technical user'), submit: plain('Request'), close: plain('Cancel'),
    blocks: [
      intro(`Workspace *${typed(ws.name)}*. An approver in <#${ws.slack.approvalsChannel}> decides; once it is created you can reveal its API token once, in your DM with Keywarden.`),
      textInput(fields.USERNAME, 'Username', { max: 64, placeholder: 'ci-pipeline', hint: '3-64 characters: letters, digits, dot, dash or underscore.' }),
      { type: 'input', block_id: fields.ROLE, label: plain('Role'), element: roleSelect() },
      {
        type: 'input', block_id: fields.EXPIRY, label: plain('Token expiry date'),
        element: { type: 'datepicker', action_id: VALUE, initial_date: defaultExpiry(now) },
        hint: plain('The token works through the end of this day (UTC); at most five years away.'),
      },
      textInput(fields.DESCRIPTION, 'Description', { optional: true, multiline: true, max: 500 }),
      textInput(fields.CUSTOMER_ROLES, 'Customer roles', { optional: true, placeholder: 'inventory-reader, reporting', hint: 'Comma-separated.' }),
      textInput(fields.ACES, 'Access control entities', { optional: true, placeholder: 'team-a, team-b', hint: 'Comma-separated.' }),
    ],
  };
}

/**
 * `/permission role`: a person of the workspace, the new role and a reason. The person is picked
 * with an external select that searches the workspace's people as one types (listeners/options/
 * people.ts answers it); its value is their user id, checked again when the form is sent. One
 * picker for every size of workspace: the static select (up to 100) and the typed email (past 100)
 * it replaces were two ways in, one of which carried typed text.
 */
export function permissionRoleForm(ws: Workspace, meta: FormMetadata): types.ModalView {
  return {
    type: 'modal', callback_id: forms.PERMISSION_ROLE, private_metadata: encodeMetadata(meta),
    title: plain('Change a role'), submit: plain('Request'), close: plain('Cancel'),
    blocks: [
      intro(`Workspace *${typed(ws.name)}*. An approver in <#${ws.slack.approvalsChannel}> decides.`),
      {
        type: 'input', block_id: fields.USER, label: plain('User'),
        element: { type: 'external_select', action_id: VALUE, placeholder: plain('Type a name or an email'), min_query_length: PERSON_QUERY_MIN },
        hint: plain('Type the first letters of a name or an email; up to 100 people are listed.'),
      },
      { type: 'input', block_id: fields.ROLE, label: plain('New role'), element: roleSelect() },
      durationInput(maxGrantHours(ws.policy) * 60),
      textInput(fields.REASON, 'Reason', { optional: true, multiline: true, max: 500 }),
    ],
  };
}

/** For how long: permanent (the default) or one of the durations the workspace allows. */
function durationInput(maxMinutes: number): Block {
  const options = durationOptions(maxMinutes, true);
  return {
    type: 'input', block_id: fields.DURATION, label: plain('For how long'),
    element: { type: 'static_select', action_id: VALUE, options, initial_option: options[0] },
    hint: plain('A time-bound role goes back to the current one by itself when the time is up.'),
  };
}

/**
 * Extend, from the DM about an applied grant: by how much (only the choices that stay within the
 * workspace's maximum counted from now, `roomMinutes`), and why. Submitting it asks for approval.
 */
export function grantExtendForm(label: string, grant: Grant, roomMinutes: number, meta: GrantExtendMetadata): types.ModalView {
  const options = durationOptions(roomMinutes, false);
  return {
    type: 'modal', callback_id: forms.GRANT_EXTEND, private_metadata: encodeMetadata(meta),
    title: plain('Extend a grant'), submit: plain('Request'), close: plain('Cancel'),
    blocks: [
      section(`*${typed(label)}* has ${grant.role} until ${slackTime(grant.until)}, then ${grant.revertTo} again. An approver decides an extension.`),
      { type: 'input', block_id: fields.DURATION, label: plain('Extend by'), element: { type: 'static_select', action_id: VALUE, options, initial_option: options[0] } },
      textInput(fields.REASON, 'Reason', { optional: true, multiline: true, max: 500 }),
    ],
  };
}

/** Asks an approver why they reject a request; submitting it rejects. */
export function rejectForm(r: ChangeRequest, meta: RejectMetadata): types.ModalView {
  return {
    type: 'modal', callback_id: forms.REJECT, private_metadata: encodeMetadata(meta),
    title: plain('Reject request'), submit: plain('Reject'), close: plain('Cancel'),
    blocks: [
      section(`*${clipMrkdwn(describeRequest(r), 2800)}*\nRequested by ${requesterMention(r.requester)}`),
      textInput(fields.REASON, 'Why is it rejected?', { multiline: true, max: MAX_REJECTION_REASON, hint: 'The requester reads this; it is kept on the request and in its history.' }),
    ],
  };
}
