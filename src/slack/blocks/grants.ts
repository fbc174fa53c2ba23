/** What people see of time-bound grants: the end of one, its DM buttons, the list of active ones. */
import type { types } from '@slack/bolt';
import type { GrantEnd } from '../../domain/grant.js';
import type { ChangeRequest } from '../../domain/request.js';
import type { Workspace } from '../../domain/workspace.js';
import type { GrantView } from '../../app/grants.js';
import { ids } from '../ids.js';
import { shortId } from './request.js';
import { slackTime } from './dates.js';
import { roughDuration } from '../../domain/durations.js';
import { clipMrkdwn, typed } from './typed.js';

type KnownBlock = types.KnownBlock;

/** Slack's own date formatting, so each reader sees their time zone (dates.ts). */
export { slackTime };

const subjectOf = (r: ChangeRequest) =>
  'email' in r.params ? typed(r.params.email) : 'userName' in r.params ? `technical user ${typed(r.params.userName)}` : 'the subject';

/** The line for the requester's DM and the approval message's thread when a grant ends. */
export function grantEndedText(r: ChangeRequest, ws: Workspace, end: GrantEnd, revertedTo: string): string {
  if (end.how === 'outside') {
    return `:hourglass: The grant of request ${shortId(r.id)} in ${typed(ws.name)} has ended: ${subjectOf(r)} was changed in LeanIX outside Keywarden and is now ${end.to}. That change stays; Keywarden did not revert it.`;
  }
  const why = end.how === 'expired' ? 'ran out' : end.how === 'ended' ? `was ended early by <@${end.by}>` : 'was superseded by a later change';
  return `:hourglass: The grant of request ${shortId(r.id)} in ${typed(ws.name)} ${why}: ${subjectOf(r)} is ${revertedTo} again.`;
}

/** End now and Extend, under the requester's DM about an applied grant; values are the grant's request id. */
export function grantButtons(grantId: string): KnownBlock {
  return {
    type: 'actions',
    block_id: 'grant',
    elements: [
      { type: 'button', action_id: ids.GRANT_END_NOW, style: 'danger', value: grantId, text: { type: 'plain_text', text: 'End now' } },
      { type: 'button', action_id: ids.GRANT_EXTEND, value: grantId, text: { type: 'plain_text', text: 'Extend' } },
    ],
  };
}

/** One active grant: who, which role until when (in the reader's zone), the time left, what follows. */
export function grantLine({ subject, grant }: GrantView, now: Date): string {
  const who = subject.type === 'permission' ? typed(subject.label) : `technical user ${typed(subject.label)}`;
  const left = grant.until.getTime() - now.getTime();
  const leftText = left > 0 ? `${roughDuration(left)} left` : 'ending now';
  return `${who}: ${grant.role} until ${slackTime(grant.until)} (${leftText}), then ${grant.revertTo}; asked by <@${grant.requester}>, request ${shortId(grant.requestId)}`;
}

/** How many grants `/permission grants` lists; callers read one more to know whether there are more. */
export const GRANTS_LISTED = 100;

/**
 * `/permission grants`: the workspace's active grants with the time left (`what`: which grants
 * they are), at most GRANTS_LISTED of them, within Slack's 40,000 characters of message text.
 */
export function grantsListText(ws: Workspace, grants: GrantView[], now: Date, what = 'grants'): string {
  if (grants.length === 0) return `No active ${what} in ${typed(ws.name)}.`;
  const more = grants.length > GRANTS_LISTED ? `\n…and more: these are the ${GRANTS_LISTED} ending soonest.` : '';
  const lines = grants.slice(0, GRANTS_LISTED).map((g) => `• ${grantLine(g, now)}`).join('\n');
  return `${clipMrkdwn(`*Active ${what} in ${typed(ws.name)}*\n${lines}`, 39_000)}${more}`;
}

/** A grant in the App Home, with End now beside it (its requester's or an approver's to click). */
export function homeGrantBlock(g: GrantView, now: Date): KnownBlock {
  return {
    type: 'section',
    block_id: `grant:${g.grant.requestId}`,
    text: { type: 'mrkdwn', verbatim: true, text: clipMrkdwn(grantLine(g, now)) },
    accessory: { type: 'button', action_id: ids.GRANT_END_NOW, value: g.grant.requestId, text: { type: 'plain_text', text: 'End now' } },
  };
}
