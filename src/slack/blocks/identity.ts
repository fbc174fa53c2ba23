/** What the person whose permission changed is told (app/subject-notice.ts). */
import type { ChangeRequest } from '../../domain/request.js';
import type { Workspace } from '../../domain/workspace.js';
import { describeRequest, outcomeText, requesterMention, shortId } from './request.js';
import { slackTime } from './dates.js';
import { clipMrkdwn, messageText } from './typed.js';


/** "Your permission in workspace x changed: …": what, who asked, who approved, until when. */
export function subjectText(r: ChangeRequest, ws: Workspace, until: Date | null): string {
  const approvers = r.approvals.map((a) => `<@${a.by}>`).join(' and ');
  const approved = approvers ? `approved by ${approvers}` : 'applied without approval under its rule';
  return messageText([
    `:information_source: Your permission in workspace *${ws.name}* changed: ${clipMrkdwn(describeRequest(r), 2800)}.`,
    `Asked by ${requesterMention(r.requester)}, ${approved}${until ? `, until ${slackTime(until)}` : ''}.`,
    // Only the mentions the request itself holds stay live (typed ones are shown as text).
    r.outcome ? `Now: ${outcomeText({ ...r, outcome: r.outcome })}` : '',
    `(request ${shortId(r.id)})`,
  ].filter(Boolean).join(' '));
}
