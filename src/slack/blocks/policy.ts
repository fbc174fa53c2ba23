/**
 * What approval messages say about the policy: which rule applies, who may decide and how far the
 * request has come; the break-glass announcement, its review buttons and reminders; escalation.
 * Pure builders; typed text (emails, usernames, reasons) is escaped by describeRequest and typed().
 */
import type { types } from '@slack/bolt';
import { mention } from '../../app/policies.js';
import { durationWords } from '../../domain/durations.js';
import { ruleName, type RequestRule } from '../../domain/policy.js';
import type { ChangeRequest } from '../../domain/request.js';
import type { Workspace } from '../../domain/workspace.js';
import { ids } from '../ids.js';
import { clipMrkdwn, typed } from './typed.js';

type KnownBlock = types.KnownBlock;

/** The rule the request fell under at submit; requests older than rules fall under the default. */
function ruleOf(r: ChangeRequest, ws: Workspace): RequestRule {
  return r.rule ?? { index: null, approvals: Math.max(1, ws.policy.requiredApprovals), approvers: ws.approvers };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "<!subteam^S1>" or "approvers of workspace x": who one rule names. */
function named(rule: { index: number | null; approvers: string[] }, ws: Workspace): string {
  if (rule.index === null) return `approvers of workspace ${typed(ws.name)}`;
  return rule.approvers.length ? rule.approvers.map(mention).join(', ') : 'nobody (the rule names no approvers)';
}

/**
 * "from <!subteam^S1>" or "from approvers of workspace x"; an extension under two rules (its
 * grant's and the one for extensions) "from those of <!subteam^S1> who are also among <@U2>".
 */
export function fromWhom(r: ChangeRequest, ws: Workspace): string {
  const rule = ruleOf(r, ws);
  if (rule.also) return `from those of ${named(rule, ws)} who are also among ${named(rule.also, ws)}`;
  return `from ${named(rule, ws)}`;
}

/** "Needs 2 approvals from @security-leads (rule 1); 1 of 2 so far". */
export function needsLine(r: ChangeRequest, ws: Workspace): string {
  const rule = ruleOf(r, ws);
  const so = r.approvals.length ? `; ${r.approvals.length} of ${rule.approvals} so far` : '';
  // Only a workspace with rules has a rule worth naming; the default is what it always was.
  const rules = [rule.index, ...(rule.also ? [rule.also.index] : [])].filter((i) => i !== null);
  const which = rules.length ? ` (${rules.map(ruleName).join(' and ')})` : '';
  return `Needs ${plural(rule.approvals, 'approval')} ${fromWhom(r, ws)}${which}${so}`;
}

/** How a request applied without approval says so in its status line. */
export function noApprovalLine(r: ChangeRequest, ws: Workspace): string {
  if (r.breakGlass) return `:rotating_light: Break-glass by <@${r.requester}>: applied without approval${reviewState(r)}`;
  return `:zap: Applied at once: ${ruleName(ruleOf(r, ws).index)} of the policy needs no approval`;
}

function reviewState(r: ChangeRequest): string {
  const b = r.breakGlass;
  if (!b || r.status !== 'APPLIED') return '';
  if (b.verdict === 'reviewed') return `, reviewed by <@${b.reviewedBy}>`;
  if (b.verdict === 'reverted') return `, reverted by <@${b.reviewedBy}>`;
  return '; *awaiting review* by an approver';
}

/** Reviewed and Revert now under an applied break-glass change that nobody reviewed yet. */
export function breakGlassReviewBlocks(r: ChangeRequest): KnownBlock[] {
  if (!r.breakGlass || r.breakGlass.verdict !== null || r.status !== 'APPLIED') return [];
  return [{
    type: 'actions',
    block_id: 'break-glass-review',
    elements: [
      { type: 'button', action_id: ids.BREAK_GLASS_REVIEWED, style: 'primary', value: r.id, text: { type: 'plain_text', text: 'Reviewed' } },
      { type: 'button', action_id: ids.BREAK_GLASS_REVERT, style: 'danger', value: r.id, text: { type: 'plain_text', text: 'Revert now' } },
    ],
  }];
}

const minutesOf = (r: ChangeRequest): number | undefined =>
  r.kind === 'permission.role' || r.kind === 'techuser.role' ? r.params.minutes : undefined;

const target = (r: ChangeRequest): string =>
  'email' in r.params ? typed(r.params.email) : 'userName' in r.params ? `technical user ${typed(r.params.userName)}` : 'a subject';

/** The break-glass announcement: who, what, for how long, why. */
export function breakGlassUsedText(r: ChangeRequest, ws: Workspace): string {
  const minutes = minutesOf(r);
  const role = 'role' in r.params ? r.params.role : '?';
  return clipMrkdwn(`:rotating_light: *Break-glass* in ${typed(ws.name)}: <@${r.requester}> gave ${target(r)} the role ${role}` +
    `${minutes ? ` for ${durationWords(minutes)}` : ''} without approval (request ${r.id.slice(0, 8)}). Reason: ${typed(r.reason ?? '')}\n` +
    `An approver reviews it in <#${ws.slack.approvalsChannel}>: *Reviewed* keeps it until its end, *Revert now* ends it.`);
}

/** The reminder of a break-glass change nobody reviewed. */
export function breakGlassUnreviewedText(r: ChangeRequest, ws: Workspace, hours: number): string {
  return clipMrkdwn(`:rotating_light: Break-glass request ${r.id.slice(0, 8)} in ${typed(ws.name)} (by <@${r.requester}>, ${target(r)}) ` +
    `is still *awaiting review* after ${durationWords(hours * 60)}. Approvers ${fromWhom(r, ws).replace(/^from /, '')}: ` +
    `click Reviewed or Revert now under it in <#${ws.slack.approvalsChannel}>.`);
}

/** The escalation line in a pending request's thread. */
export function escalationText(r: ChangeRequest, to: string[]): string {
  return `:arrow_double_up: Still pending after the time its rule allows: escalated to ${to.map(mention).join(', ')}, who may now also approve or reject it (request ${r.id.slice(0, 8)}, by <@${r.requester}>).`;
}
