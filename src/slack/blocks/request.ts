/**
 * Pure Block Kit builders for approval messages. While a request is PENDING its message has
 * Approve and Reject buttons; once decided, the same message is rewritten without them and says
 * who decided and what happened.
 */
import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;
import { isSystemRequester, type ChangeRequest, type NewRequest } from '../../domain/request.js';
import type { Workspace } from '../../domain/workspace.js';
import { ids } from '../ids.js';
import { durationWords, roughDuration } from '../../domain/durations.js';
import { mention } from '../../app/policies.js';
import { breakGlassReviewBlocks, needsLine, noApprovalLine } from './policy.js';
import { clipMrkdwn, context, messageText, plainWithMentions, section, typed, typedList } from './typed.js';
import { slackTime, utcDatesAsSlack } from './dates.js';

/**
 * One line saying what a request asks for, as mrkdwn: every value a person typed (email, username,
 * description, labels) is escaped here, so every message built from it shows it as text.
 */
export function describeRequest(r: NewRequest): string {
  switch (r.kind) {
    case 'permission.role':
      return r.params.minutes === undefined
        ? `Change the role of ${typed(r.params.email)} to ${r.params.role}`
        : `Grant ${typed(r.params.email)} the role ${r.params.role} for ${durationWords(r.params.minutes)} from when it is applied, then back to the role they had`;
    case 'permission.extend':
      return `Extend the grant of ${typed(r.params.email)} by ${durationWords(r.params.minutes)} past its current end`;
    case 'techuser.extend':
      return `Extend the grant of technical user ${typed(r.params.userName)} by ${durationWords(r.params.minutes)} past its current end`;
    case 'permission.archive':
      return `Archive ${typed(r.params.email)}`;
    case 'permission.activate':
      return `Activate ${typed(r.params.email)} (from ARCHIVED)`;
    case 'permission.invite':
      return `Invite ${typed(r.params.email)} as ${r.params.role}`;
    case 'techuser.create': {
      const extras = [
        r.params.customerRoles.length ? `customer roles ${typedList(r.params.customerRoles)}` : '',
        r.params.accessControlEntities.length ? `ACEs ${typedList(r.params.accessControlEntities)}` : '',
      ].filter(Boolean);
      return `Create technical user ${typed(r.params.userName)} (${r.params.role}, token expires ${typed(r.params.expiry)}${extras.length ? `, ${extras.join('; ')}` : ''})${r.params.description ? `: ${typed(r.params.description)}` : ''}`;
    }
    case 'techuser.rotate':
      return `Replace the API token of technical user ${typed(r.params.userName)} (the old token stops working)`;
    case 'techuser.expiry':
      return `Change the token expiry of technical user ${typed(r.params.userName)} to ${typed(r.params.expiry)} (same token)`;
    case 'techuser.role':
      return r.params.minutes === undefined
        ? `Change the role of technical user ${typed(r.params.userName)} to ${r.params.role}`
        : `Grant technical user ${typed(r.params.userName)} the role ${r.params.role} for ${durationWords(r.params.minutes)} from when it is applied, then back to the role it had`;
    case 'techuser.delete':
      return `Delete technical user ${typed(r.params.userName)} and its token`;
    case 'techuser.owner':
      return `Transfer the ownership of technical user ${typed(r.params.userName)} to Slack user ${typed(r.params.owner)}`;
    case 'techuser.update': {
      const p = r.params;
      const parts = [
        p.description !== undefined ? `description "${typed(p.description)}"` : '',
        p.customerRoles ? `customer roles ${p.customerRoles.length ? typedList(p.customerRoles) : 'none'}` : '',
        p.accessControlEntities ? `ACEs ${p.accessControlEntities.length ? typedList(p.accessControlEntities) : 'none'}` : '',
      ].filter(Boolean);
      return `Update technical user ${typed(p.userName)}: ${parts.join('; ')}`;
    }
  }
}

export const shortId = (id: string) => id.slice(0, 8);

/** Who asked, as Slack shows it: a mention, or Keywarden itself for the requests it opens. */
export const requesterMention = (requester: string) => (isSystemRequester(requester) ? 'Keywarden' : `<@${requester}>`);

/**
 * Who asked and from where: "<@ann> via the API, technical user deploy-bot", "technical user
 * deploy-bot via the API", "<@ann> via a workflow", or the mention alone for Slack's own commands.
 */
export function requestedBy(r: Pick<ChangeRequest, 'requester' | 'origin'>): string {
  const o = r.origin;
  if (o?.via === 'api') {
    const tu = `technical user ${typed(o.technicalUser.userName)}`;
    return isSystemRequester(r.requester) ? `${tu} via the API` : `${requesterMention(r.requester)} via the API, ${tu}`;
  }
  if (o?.via === 'workflow') return `${requesterMention(r.requester)} via a workflow`;
  return requesterMention(r.requester);
}

/**
 * The Slack ids a request itself holds (its requester, approvers, decider, reviewer, new owner and
 * the approvers its rule names): the only mentions its outcome may keep live.
 */
export function requestPeople(r: ChangeRequest): ReadonlySet<string> {
  return new Set([
    r.requester, ...r.approvals.map((a) => a.by), ...(r.decidedBy ? [r.decidedBy] : []), ...(r.rule?.approvers ?? []),
    ...(r.breakGlass?.reviewedBy ? [r.breakGlass.reviewedBy] : []), ...(r.kind === 'techuser.owner' ? [r.params.owner] : []),
  ]);
}

/** A request's stored outcome as mrkdwn: escaped, mentions live only of its own people, UTC moments as Slack dates. */
export const outcomeText = (r: ChangeRequest & { outcome: string }): string => utcDatesAsSlack(plainWithMentions(r.outcome, requestPeople(r)));

/** What the message says about the request's state, under the request itself. */
export function statusLine(r: ChangeRequest, ws: Workspace): string {
  const approvedBy = r.approvals.map((a) => `<@${a.by}>`).join(' and ');
  // Outcomes are plain text that quotes typed values (an email, a rejecter's reason): escaped;
  // a grant's end in them is shown in each reader's own time zone.
  const outcome = r.outcome === null ? null : outcomeText(r as ChangeRequest & { outcome: string });
  switch (r.status) {
    case 'PENDING':
      // Needs no approval (its rule's approvals: 0, break-glass): approved the moment it is posted.
      if (needsNoApproval(r)) return `${noApprovalLine(r, ws)}. Applying…`;
      return r.approvals.length
        ? `:hourglass_flowing_sand: ${needsLine(r, ws)}: approved by ${approvedBy}.`
        : `:hourglass_flowing_sand: ${needsLine(r, ws)}. Expires ${slackTime(r.expiresAt)}.`;
    case 'APPROVED':
      return `${approvedLine(r, ws, approvedBy)}. Applying…`;
    case 'APPLIED':
      return `${approvedLine(r, ws, approvedBy)}. Applied: ${outcome ?? 'done'}`;
    case 'FAILED':
      return `:x: ${approvedLine(r, ws, approvedBy).replace(/^:[a-z_]+: /, '')}, but it could not be applied: ${outcome ?? 'unknown reason'}`;
    case 'REJECTED':
      // The outcome of a rejection is the rejecter's reason: typed text through and through.
      return r.outcome ? `:no_entry: Rejected by <@${r.decidedBy}>: ${typed(r.outcome)}` : `:no_entry: Rejected by <@${r.decidedBy}>.`;
    case 'EXPIRED':
      return ':clock3: Expired: nobody decided in time.';
    case 'CANCELLED':
      return `:heavy_multiplication_x: Cancelled. ${outcome ?? ''}`.trim();
  }
}

/** Approved by people, or let through by its rule (decidedBy null: nobody decided). */
function approvedLine(r: ChangeRequest, ws: Workspace, approvedBy: string): string {
  return r.decidedBy === null && r.approvals.length === 0 ? noApprovalLine(r, ws) : `:white_check_mark: Approved by ${approvedBy}`;
}

/**
 * The reminder posted under a pending request's approval message: who may still decide it (the
 * approvers, less the requester and whoever already approved) and when it expires.
 */
export function reminderText(r: ChangeRequest, ws: Workspace, now: Date): string {
  const approved = new Set(r.approvals.map((a) => a.by));
  const who = (r.rule?.approvers ?? ws.approvers).filter((a) => a !== r.requester && !approved.has(a)).map(mention);
  const ask = who.length ? `${who.join(' ')}: please approve or reject it.` : 'Please approve or reject it.';
  return `:alarm_clock: Reminder: ${clipMrkdwn(describeRequest(r), 2800)} (request ${shortId(r.id)}, by ${requestedBy(r)}) expires ${slackTime(r.expiresAt)}, in about ${roughDuration(r.expiresAt.getTime() - now.getTime())}. ${ask}`;
}

/**
 * A request that needs no approval is stored PENDING and approved right after its message is
 * posted: the message shows it as what it is from the start, with no buttons to click.
 */
const needsNoApproval = (r: ChangeRequest): boolean => r.status === 'PENDING' && Boolean(r.approveAt);

export function requestText(r: ChangeRequest, ws: Workspace): string {
  return messageText(`${describeRequest(r)} in ${typed(ws.name)} (requested by ${requestedBy(r)}): ${needsNoApproval(r) ? 'APPROVED' : r.status}`);
}

export function approvalRequestBlocks(r: ChangeRequest, ws: Workspace): KnownBlock[] {
  const blocks: KnownBlock[] = [
    // The new owner of a transfer is a checked Slack id, shown as a mention.
    section(`*${clipMrkdwn(describeRequest(r), 2800)}*\nWorkspace *${typed(ws.name)}*, requested by ${requestedBy(r)}${r.kind === 'techuser.owner' ? `\nNew owner: <@${r.params.owner}>` : ''}`),
  ];
  // mrkdwn with the reason escaped rather than plain_text: Slack documents how mrkdwn shows `&lt;`
  // once escaped, and `verbatim` keeps it from turning bare words into links or mentions.
  if (r.reason) blocks.push(section(`Reason: ${typed(r.reason)}`));
  blocks.push(context(`${statusLine(r, ws)}  ·  request ${shortId(r.id)}`));
  blocks.push(...breakGlassReviewBlocks(r));
  if (r.status === 'PENDING' && r.subjectUser) {
    blocks.push(context(`<@${r.subjectUser}> may not decide this request: it changes their own permission.`));
  }
  if (r.status === 'PENDING' && !needsNoApproval(r)) {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        { type: 'button', action_id: ids.APPROVE, style: 'primary', value: r.id, text: { type: 'plain_text', text: 'Approve' } },
        { type: 'button', action_id: ids.REJECT, style: 'danger', value: r.id, text: { type: 'plain_text', text: 'Reject' } },
      ],
    });
  }
  return blocks;
}

/** The DM to the requester once the request has ended. */
export function requesterText(r: ChangeRequest, ws: Workspace): string {
  // The status line without its leading emoji; mentions and outcomes keep their case.
  return messageText(`Your request ${shortId(r.id)} in ${typed(ws.name)} (${describeRequest(r)}): ${statusLine(r, ws).replace(/^:[a-z0-9_+-]+: /, '')}`);
}

/**
 * The requester's DM as blocks: its text in a section, clipped to Slack's 3,000 characters after
 * escaping (a description of 150 underscores is 3,600), then `below` (the Reveal button, a
 * grant's End now and Extend).
 */
export function requesterDmBlocks(r: ChangeRequest, ws: Workspace, below: KnownBlock[]): KnownBlock[] {
  return [section(requesterText(r, ws)), ...below];
}
