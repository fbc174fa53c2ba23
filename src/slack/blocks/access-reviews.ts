/**
 * Pure Block Kit builders for access reviews: the reviewer's DM, the status answer. The pages of
 * items (modal and Home tab) are in access-review-pages.ts.
 */
import type { types } from '@slack/bolt';
import type { CampaignStatus } from '../../app/access-reviews.js';
import type { ReviewerStep } from '../../app/ports.js';
import type { Campaign } from '../../domain/access-review.js';
import { isSystemRequester } from '../../domain/request.js';
import type { Workspace } from '../../domain/workspace.js';
import { mention } from '../../app/policies.js';
import { ids } from '../ids.js';
import { messageText, section, typed } from './typed.js';

type KnownBlock = types.KnownBlock;

export const slackDay = (d: Date) => `<!date^${Math.floor(d.getTime() / 1000)}^{date_short}|${d.toISOString().slice(0, 10)}>`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "quarterly-admins: 37 items to review by Dec 21", with the button that opens them. */
export function reviewerDm(ws: Workspace, c: Campaign, step: ReviewerStep, items: number): { text: string; blocks: KnownBlock[] } {
  const lead = step === 'ask' ? ':clipboard:' : ':alarm_clock: Reminder:';
  const left = step === 'ask' ? `${plural(items, 'item')} to review` : `${plural(items, 'item')} still to review`;
  const text = `${lead} ${c.name}: ${left} by ${slackDay(c.dueAt)} (workspace ${ws.name}).`;
  return {
    text,
    blocks: [
      section(`${text}\nFor each person: *Keep*, *Change role* or *Archive*. What nobody reviews by then is ${c.definition.unreviewed === 'keep' ? 'kept and flagged as unreviewed' : c.definition.unreviewed === 'archive' ? 'archived' : `lowered to ${c.definition.unreviewed.slice('downgrade:'.length)}`}. The items are also on Keywarden's Home tab.`),
      { type: 'actions', block_id: `accessreview:${c.id}`, elements: [{ type: 'button', action_id: ids.ACCESS_REVIEW_OPEN, style: 'primary', value: c.id, text: { type: 'plain_text', text: 'Review items' } }] },
    ],
  };
}

/** `/permission review status`: each campaign's progress. */
export function statusText(ws: Workspace, statuses: CampaignStatus[]): string {
  if (statuses.length === 0) return `No access review of workspace ${ws.name} has started yet.`;
  return messageText(statuses.map(({ campaign: c, counts: n, selfOnly }) => {
    const by = isSystemRequester(c.startedBy) ? 'by schedule' : `by <@${c.startedBy}>`;
    const state = c.status === 'OPEN' ? `open, due ${slackDay(c.dueAt)}` : `${c.status.toLowerCase()} ${c.closedAt ? slackDay(c.closedAt) : ''}`.trim();
    const lines = [
      `*${c.name}* (${state}; started ${slackDay(c.startedAt)} ${by}): ${plural(n.total, 'item')}: ${n.keep} kept, ${n.change} changed, ${n.archive} archived, ${n.unreviewed} unreviewed, ${n.undecided} undecided.`,
      `Reviewers: ${c.reviewers.length ? c.reviewers.map(mention).join(', ') : 'nobody (the policy names no reviewers)'}.`,
    ];
    if (selfOnly) lines.push(`:warning: Its only reviewer is the subject of one item (${typed(selfOnly)}): nobody can review that one; it ends unreviewed unless another reviewer is added.`);
    if (!c.ready) lines.push('Its items are still being gathered.');
    return lines.join('\n');
  }).join('\n\n'));
}
