/**
 * A reviewer's items, a page at a time, in a modal (opened from the DM or the Home tab) and on the
 * Home tab. Each item is a section and an actions block (Keep, Change role, Archive): a modal of
 * PAGE_SIZE items is 4 + 2 × PAGE_SIZE blocks, within Slack's 100 whatever the campaign's size.
 */
import type { types } from '@slack/bolt';
import type { ReviewerPage } from '../../app/access-review-decisions.js';
import type { CampaignItem } from '../../domain/access-review.js';
import { ROLES } from '../../domain/permission.js';
import { ids } from '../ids.js';
import { forms } from '../forms/ids.js';
import { slackDay } from './access-reviews.js';
import { shortId } from './request.js';
import { clipMrkdwn, context, section, typed } from './typed.js';

type KnownBlock = types.KnownBlock;

export const PAGE_SIZE = 20;
/** Items of each campaign shown on the Home tab (the rest are a button away). */
export const HOME_ITEMS = 5;

const mention = (id: string | null) => (id ? `<@${id}>` : 'Keywarden');

/** What a reviewer needs to decide one item: who, what they hold, since when and how, any grant. */
export function itemText(i: CampaignItem): string {
  const who = i.name ? `*${typed(i.name)}* (${typed(i.email)})` : `*${typed(i.email)}*`;
  const login = i.lastLogin ? slackDay(i.lastLogin) : 'never';
  const o = i.origin;
  const since = o
    ? `${slackDay(o.at)}${o.requestId ? `, request ${shortId(o.requestId)}` : ''} (asked by ${mention(o.requester)}${o.approvers.length ? `, approved by ${o.approvers.map((a) => `<@${a}>`).join(' and ')}` : ''})`
    : 'before Keywarden recorded it';
  const grant = i.grant ? ` · :hourglass: a grant until ${slackDay(i.grant.until)}` : '';
  return clipMrkdwn(`${who}: ${i.role}, ${i.status}\nLast login: ${login} · ${i.role} since ${since}${grant}`);
}

export function itemBlocks(i: CampaignItem): KnownBlock[] {
  const others = ROLES.filter((r) => r !== i.role);
  return [
    section(itemText(i)),
    {
      type: 'actions',
      block_id: `accessreview-item:${i.seq}`,
      elements: [
        { type: 'button', action_id: ids.ACCESS_REVIEW_KEEP, style: 'primary', value: i.id, text: { type: 'plain_text', text: 'Keep' } },
        {
          type: 'static_select', action_id: ids.ACCESS_REVIEW_ROLE, placeholder: { type: 'plain_text', text: 'Change role' },
          options: others.map((r) => ({ text: { type: 'plain_text', text: r }, value: `${i.id}|${r}` })),
        },
        ...(i.status === 'ARCHIVED' ? [] : [{
          type: 'button' as const, action_id: ids.ACCESS_REVIEW_ARCHIVE, style: 'danger' as const, value: i.id, text: { type: 'plain_text' as const, text: 'Archive' },
          confirm: {
            title: { type: 'plain_text' as const, text: 'Archive this user?' }, confirm: { type: 'plain_text' as const, text: 'Archive' }, deny: { type: 'plain_text' as const, text: 'Cancel' },
            text: { type: 'mrkdwn' as const, text: `${typed(i.email)} loses access to the workspace (as an archive request would).` },
          },
        }]),
      ],
    },
  ];
}

/** Keep all on this page, and the way to the next (and back to the first) page. */
function pageActions(p: ReviewerPage): KnownBlock[] {
  const cid = p.campaign.id;
  const last = p.items.at(-1)?.seq;
  const elements: types.Button[] = [];
  if (last !== undefined) elements.push({ type: 'button', action_id: ids.ACCESS_REVIEW_KEEP_PAGE, value: `${cid}|${p.afterSeq}|${last}`, text: { type: 'plain_text', text: `Keep all ${p.items.length} on this page` } });
  if (p.nextAfterSeq !== null) elements.push({ type: 'button', action_id: ids.ACCESS_REVIEW_PAGE, value: `${cid}|${p.nextAfterSeq}`, text: { type: 'plain_text', text: 'Next page' } });
  if (p.afterSeq > 0) elements.push({ type: 'button', action_id: ids.ACCESS_REVIEW_PAGE, value: `${cid}|0`, text: { type: 'plain_text', text: 'First page' } });
  return elements.length ? [{ type: 'actions', block_id: 'accessreview-page', elements }] : [];
}

function headline(p: ReviewerPage): string {
  const c = p.campaign;
  return `*${c.name}* (workspace ${p.workspace.name}): ${p.left} item${p.left === 1 ? '' : 's'} left to review by ${slackDay(c.dueAt)}.`;
}

/** The modal: the page's items with their buttons. `notice`: the answer to the last click. */
export function reviewModal(p: ReviewerPage, notice?: string): types.ModalView {
  const blocks: KnownBlock[] = [section(headline(p))];
  if (notice) blocks.push(context(notice));
  if (p.items.length === 0) blocks.push(section(p.left ? 'Nothing more on this page.' : ':white_check_mark: Nothing left for you to review. Thank you.'));
  for (const i of p.items.slice(0, PAGE_SIZE)) blocks.push(...itemBlocks(i));
  blocks.push(...pageActions(p));
  return {
    type: 'modal', callback_id: forms.ACCESS_REVIEW, title: { type: 'plain_text', text: 'Access review' }, close: { type: 'plain_text', text: 'Done' },
    private_metadata: JSON.stringify({ campaignId: p.campaign.id, afterSeq: p.afterSeq }), blocks,
  };
}

/** The Home tab's part: each open campaign of theirs, its first few items, a button to all of them. */
export function reviewHomeBlocks(pages: ReviewerPage[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  for (const p of pages) {
    blocks.push({ type: 'divider' }, section(`:clipboard: ${headline(p)}`));
    for (const i of p.items.slice(0, HOME_ITEMS)) blocks.push(...itemBlocks(i));
    if (p.left > 0) {
      blocks.push({ type: 'actions', block_id: `accessreview-home:${p.campaign.id}`, elements: [{ type: 'button', action_id: ids.ACCESS_REVIEW_OPEN, value: p.campaign.id, text: { type: 'plain_text', text: `Review all ${p.left}` } }] });
    }
  }
  return blocks;
}
