/** Pure text and Block Kit builders for the reviews of technical users (domain/ownership-review.ts). */
import type { types } from '@slack/bolt';
import { timeLeft } from '../../domain/expiry-warnings.js';
import { isUnreviewed, type OwnershipRecord } from '../../domain/ownership-review.js';
import { expiryDate, type TechnicalUser } from '../../domain/technical-user.js';
import type { Workspace } from '../../domain/workspace.js';
import { fields, forms, VALUE } from '../forms/ids.js';
import { encodeMetadata, type FormMetadata } from '../forms/metadata.js';
import { ids } from '../ids.js';
import { context, plainText, section, typed, typedClipped } from './typed.js';

const day = (d: Date) => d.toISOString().slice(0, 10);

/** "used 3 days ago", "never used (as far as Keywarden has seen)". */
export function lastUsedText(at: Date | null, now: Date): string {
  if (!at) return 'never used since Keywarden started watching';
  const days = Math.floor((now.getTime() - at.getTime()) / 86_400_000);
  return days <= 0 ? 'last used today' : `last used ${day(at)} (${days} day${days === 1 ? '' : 's'} ago)`;
}

function tokenText(t: TechnicalUser, now: Date): string {
  if (!t.token) return 'no token';
  if (t.token.revokedAt) return 'token revoked';
  return t.token.expiresAt <= now ? `token expired ${expiryDate(t.token.expiresAt)}` : `token expires ${expiryDate(t.token.expiresAt)} (${timeLeft(t.token.expiresAt, now)})`;
}

/** The owner as Slack shows it; an unowned technical user says so. */
export const ownerText = (r: Pick<OwnershipRecord, 'owner'> | undefined): string => (r?.owner ? `<@${r.owner}>` : '_no owner_');

/** The question to the owner (or, with none, to the notification channels), with Keep, Delete and Transfer. */
export function reviewQuestionBlocks(ws: Workspace, r: OwnershipRecord, t: TechnicalUser, now: Date, reminder: boolean): { text: string; blocks: types.KnownBlock[] } {
  const facts = `${t.role}, ${lastUsedText(r.lastUsedAt, now)}, ${tokenText(t, now)}`;
  const lead = reminder ? ':hourglass: Reminder: is' : ':mag: Is';
  const text = r.owner
    ? `${lead} technical user ${t.userName} in ${ws.name} (${facts}) still needed?`
    : `${lead} technical user ${t.userName} in ${ws.name} (${facts}) still needed? It has no owner: transfer it to whoever is responsible.`;
  // Escaped first, clipped after: 300 typed underscores are 7,200 characters of mrkdwn.
  const description = t.description ? `\n${typedClipped(t.description, 1200)}` : '';
  const after = r.owner
    ? 'If nobody answers within 14 days of the first question, the notification channels are told and it is marked unreviewed.'
    : 'Transfer asks for approval, like Delete.';
  return {
    text,
    blocks: [
      // Typed text (names, the description) escaped; the whole clipped to Slack's 3,000 characters.
      section(`${typed(text)}${description}\n${after}`),
      {
        type: 'actions',
        block_id: 'review',
        elements: [
          { type: 'button', action_id: ids.REVIEW_KEEP, value: t.id, style: 'primary', text: plainText('Keep') },
          { type: 'button', action_id: ids.REVIEW_DELETE, value: t.id, style: 'danger', text: plainText('Delete') },
          { type: 'button', action_id: ids.REVIEW_TRANSFER, value: t.id, text: plainText('Transfer') },
        ],
      },
    ],
  };
}

/** To the notification channels when nobody answered in 14 days. */
export function reviewOverdueText(ws: Workspace, r: OwnershipRecord, t: TechnicalUser, now: Date): string {
  const asked = r.askedAt ? ` since ${day(r.askedAt)}` : '';
  return `:warning: Nobody has confirmed that technical user *${typed(t.userName)}* in ${typed(ws.name)} (${t.role}, ${lastUsedText(r.lastUsedAt, now)}) is still needed: its owner ${ownerText(r)} was asked${asked}. It is now marked *unreviewed*. Keep it with the buttons of the question, transfer it (\`/techuser owner ${t.userName} @someone\`) or delete it (\`/techuser delete ${t.userName}\`).`;
}

/** The replacement for the question once someone answered Keep: the buttons are gone. */
export function reviewKeptText(t: TechnicalUser, by: string, next: Date | null): string {
  return `:white_check_mark: <@${by}> confirmed that technical user *${typed(t.userName)}* is still needed.${next ? ` The next review is due ${day(next)}.` : ''}`;
}

/** How /techuser list and the Home tab show a technical user's owner and review. */
export function reviewBadge(r: OwnershipRecord | undefined): string {
  const owner = `owner ${ownerText(r)}`;
  return r && isUnreviewed(r) ? `${owner}, :warning: *unreviewed*` : owner;
}

/** The Transfer form: the technical user (filled in), its new owner, a reason. Submitting makes `/techuser owner`'s request. */
export function techuserOwnerForm(ws: Workspace, t: TechnicalUser, currentOwner: string | null, meta: FormMetadata): types.ModalView {
  const plain = (text: string) => plainText(text);
  return {
    type: 'modal', callback_id: forms.TECHUSER_OWNER, private_metadata: encodeMetadata(meta),
    title: plain('Transfer ownership'), submit: plain('Request'), close: plain('Cancel'),
    blocks: [
      context(`Workspace *${typed(ws.name)}*, owner now ${currentOwner ? `<@${currentOwner}>` : 'nobody'}. An approver in <#${ws.slack.approvalsChannel}> decides.`),
      {
        type: 'input', block_id: fields.USERNAME, label: plain('Technical user'),
        element: { type: 'plain_text_input', action_id: VALUE, initial_value: t.userName, max_length: 64 },
      },
      { type: 'input', block_id: fields.OWNER, label: plain('New owner'), element: { type: 'users_select', action_id: VALUE, placeholder: plain('Choose a person') } },
      {
        type: 'input', block_id: fields.REASON, label: plain('Reason'), optional: true,
        element: { type: 'plain_text_input', action_id: VALUE, multiline: true, max_length: 500 },
      },
    ],
  };
}
