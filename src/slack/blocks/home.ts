/**
 * The App Home tab, as a pure function of what HomeService read. Pending requests carry the same
 * Approve and Reject buttons (same action ids, value = request id) as the approval message, so
 * the same listeners decide them. Slack allows 100 blocks per view; longer views are cut short
 * with a note rather than refused by Slack.
 */
import type { types } from '@slack/bolt';
import type { HomeWorkspace } from '../../app/home.js';
import type { ChangeRequest } from '../../domain/request.js';
import { timeLeft } from '../../domain/expiry-warnings.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import { expiryDate, tokenName } from '../../domain/technical-user.js';
import { ids } from '../ids.js';
import type { OwnershipRecord } from '../../domain/ownership-review.js';
import { homeGrantBlock } from './grants.js';
import { describeRequest, outcomeText, requesterMention, shortId, statusLine } from './request.js';
import { context, header, section, typed } from './typed.js';
import { reviewBadge } from './reviews.js';

type KnownBlock = types.KnownBlock;

const MAX_BLOCKS = 100;

const when = (d: Date) => `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty}|${d.toISOString().slice(0, 10)}>`;

/** The Home tab of `userId`. `notice`: one line at the top, e.g. the answer to a click made here. */
export function homeView(home: HomeWorkspace[], userId: string, now: Date, notice?: string, reviews: KnownBlock[] = []): types.HomeView {
  const blocks: KnownBlock[] = [
    header('Keywarden'),
    context(`Requests, approvals and technical users of your LeanIX workspaces. Updated ${when(now)}.`),
  ];
  if (notice) blocks.push(section(notice));
  // Access reviews waiting for this person (blocks/access-review-pages.ts): bounded, first.
  blocks.push(...reviews);
  if (home.length === 0 && reviews.length === 0) {
    blocks.push(section(
      'You are not an admin or approver of any Keywarden workspace in this Slack team, so there is nothing to show here. '
        + 'Ask an operator to add you to the seed file if you should be.',
    ));
  }
  for (const h of home) blocks.push(...workspaceBlocks(h, userId, now));
  if (blocks.length > MAX_BLOCKS) {
    return { type: 'home', blocks: [...blocks.slice(0, MAX_BLOCKS - 1), context('There is more than a Home tab can show; use `/techuser list` and the approvals channel.')] };
  }
  return { type: 'home', blocks };
}

function workspaceBlocks(h: HomeWorkspace, userId: string, now: Date): KnownBlock[] {
  const ws = h.workspace;
  const part = [h.isAdmin && 'an admin', h.isApprover && 'an approver'].filter(Boolean).join(' and ');
  const blocks: KnownBlock[] = [
    { type: 'divider' },
    header(ws.name),
    context(`You are ${part} of ${typed(ws.name)}. Requests are decided in <#${ws.slack.approvalsChannel}>.`),
  ];
  if (h.isApprover) {
    // At scale the list is the newest few: said, rather than a count that looks like all of them.
    blocks.push(section(h.pendingMore
      ? `*Pending requests* (the ${h.pending.length} newest you may decide; <#${ws.slack.approvalsChannel}> has them all)`
      : `*Pending requests* (${h.pending.length})`));
    if (h.pending.length === 0) blocks.push(context('Nothing is waiting for a decision.'));
    for (const r of h.pending) blocks.push(...pendingBlocks(r, h, userId));
  }
  if (h.isAdmin) {
    blocks.push(section(h.mine.length
      ? `*Your recent requests*\n${h.mine.map((r) => mineLine(r)).join('\n')}`
      : '*Your recent requests*\nNone yet: ask for a change with `/permission` or `/techuser`.'));
  }
  blocks.push(...grantBlocks(h, now));
  blocks.push(section(h.technicalUsers.length
    ? `*Technical users* (nearest expiry first${h.technicalUsersMore ? `; the ${h.technicalUsers.length} expiring soonest, \`/techuser list\` lists them all` : ''})\n${h.technicalUsers.map((t) => techUserLine(t, now, h.owners)).join('\n')}`
    : '*Technical users*\nNone yet: an admin can create one with `/techuser create`.'));
  return blocks;
}

/** Active grants with End now beside each; a workspace without any shows nothing here. */
function grantBlocks(h: HomeWorkspace, now: Date): KnownBlock[] {
  if (h.grants.length === 0) return [];
  const whose = h.isApprover ? 'Active grants' : 'Your active grants';
  const more = h.grantsTotal > h.grants.length ? ` · the ${h.grants.length} ending soonest; \`/permission grants\` lists them all` : '';
  return [section(`*${whose}* (soonest end first${more})`), ...h.grants.map((g) => homeGrantBlock(g, now))];
}

function pendingBlocks(r: ChangeRequest, h: HomeWorkspace, userId: string): KnownBlock[] {
  const reason = r.reason ? `\nReason: ${typed(r.reason)}` : '';
  const blocks: KnownBlock[] = [
    section(`*${describeRequest(r)}*\nRequested by ${requesterMention(r.requester)} ${when(r.createdAt)} · request ${shortId(r.id)}${reason}\n${statusLine(r, h.workspace)}`),
  ];
  if (r.requester === userId) {
    blocks.push(context('This is your request: another approver decides it.'));
  } else if (r.approvals.some((a) => a.by === userId)) {
    blocks.push(context('You approved this; it is waiting for another approver.'));
  } else {
    blocks.push({
      type: 'actions',
      // Unique per view; the approval message's buttons live in a block named 'decision'.
      block_id: `decision:${r.id}`,
      elements: [
        { type: 'button', action_id: ids.APPROVE, style: 'primary', value: r.id, text: { type: 'plain_text', text: 'Approve' } },
        { type: 'button', action_id: ids.REJECT, style: 'danger', value: r.id, text: { type: 'plain_text', text: 'Reject' } },
      ],
    });
  }
  return blocks;
}

function mineLine(r: ChangeRequest): string {
  const outcome = r.outcome && r.status !== 'PENDING' ? `: ${outcomeText(r as ChangeRequest & { outcome: string })}` : '';
  return `• ${when(r.createdAt)} ${describeRequest(r)} — *${r.status}*${outcome}`;
}

function techUserLine(t: TechnicalUser, now: Date, owners?: Map<string, OwnershipRecord>): string {
  const token = t.token!;
  const date = expiryDate(token.expiresAt);
  const state = token.revokedAt
    ? `${tokenName(token)} revoked (never revealed)`
    : token.expiresAt <= now
      ? `${tokenName(token)} :x: expired ${date}`
      : `${tokenName(token)} expires ${date} (${timeLeft(token.expiresAt, now)})`;
  return `• *${typed(t.userName)}* (${t.role}): ${state}${owners ? `, ${reviewBadge(owners.get(t.id))}` : ''}`;
}
