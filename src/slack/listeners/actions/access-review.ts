/**
 * The buttons of access reviews: Review items (DM, Home tab) opens the reviewer's first page in a
 * modal; Keep, Change role, Archive and Keep all on this page decide; Next page / First page move.
 * Acked at once. A click in the modal is answered by the modal rewritten (views.update) with the
 * page as it is now and the answer on top; one in the Home tab by the Home tab published again.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { ROLES } from '../../../domain/permission.js';
import { reviewModal, PAGE_SIZE } from '../../blocks/access-review-pages.js';
import { typed } from '../../blocks/typed.js';
import type { SlackDeps } from '../../deps.js';
import { publishHome } from '../../home-publisher.js';
import { refuseMalformed } from '../../refusals.js';
import { errorText } from '../../reply.js';
import { ids } from '../../ids.js';

type Args = SlackActionMiddlewareArgs & AllMiddlewareArgs;
type Kind = 'open' | 'keep' | 'role' | 'archive' | 'keepPage' | 'page';

const slackId = z.string().regex(/^[A-Z0-9]{2,20}$/);
const uuid = z.uuid();
const ItemId = z.string().regex(/^[0-9a-f-]{36}\/[0-9a-f-]{36}$/i);
const Seq = z.coerce.number().int().min(0).max(10_000_000);

const Click = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: slackId, team_id: slackId.optional() }),
  team: z.object({ id: slackId }).nullish(),
  trigger_id: z.string().max(200).optional(),
  response_url: z.url().optional(),
  view: z.object({ id: z.string().max(40), type: z.string(), private_metadata: z.string().max(3000).optional() }).optional(),
  actions: z.array(z.object({ value: z.string().max(200).optional(), selected_option: z.object({ value: z.string().max(200) }).optional() })).min(1),
}).transform((b) => ({
  userId: b.user.id, teamId: b.team?.id ?? b.user.team_id ?? '', triggerId: b.trigger_id, responseUrl: b.response_url, view: b.view,
  value: b.actions[0]!.selected_option?.value ?? b.actions[0]!.value ?? '',
}));

const Metadata = z.object({ campaignId: uuid, afterSeq: Seq });

export function accessReviewAction(deps: SlackDeps, kind: Kind) {
  return async ({ ack, body, client, respond }: Args): Promise<void> => {
    await ack();
    const click = Click.safeParse(body);
    if (!click.success) {
      refuseMalformed(deps.log, body, { action: `access-review.${kind}` }, click.error.issues);
      return;
    }
    const c = click.data;
    const inModal = c.view?.type === 'modal';
    const meta = inModal ? Metadata.safeParse(safeJson(c.view?.private_metadata)) : null;
    const decisions = deps.accessReviewDecisions;
    let where: { campaignId: string; afterSeq: number } | null = meta?.success ? meta.data : null;
    let notice: string;
    try {
      notice = await run();
    } catch (err) {
      notice = errorText(err, deps.log, { user: c.userId, team: c.teamId, action: `access-review.${kind}` });
    }
    try {
      if (kind === 'open' && !inModal && where && c.triggerId && !notice) {
        await client.views.open({ trigger_id: c.triggerId, view: reviewModal(await decisions.page(where.campaignId, c.userId, c.teamId, 0, PAGE_SIZE)) });
      } else if (inModal && c.view && where) {
        const page = await decisions.page(where.campaignId, c.userId, c.teamId, where.afterSeq, PAGE_SIZE);
        await client.views.update({ view_id: c.view.id, view: reviewModal(page, notice || undefined) });
      } else if (c.view?.type === 'home') {
        await publishHome(deps, c, notice || undefined);
      } else if (notice && typeof respond === 'function') {
        await respond({ response_type: 'ephemeral', replace_original: false, text: notice });
      }
    } catch (err) {
      const text = errorText(err, deps.log, { user: c.userId, team: c.teamId, action: `access-review.${kind}` });
      if (typeof respond === 'function') await respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
      else if (c.view?.type === 'home') await publishHome(deps, c, text).catch(() => undefined);
    }

    /** The decision (or move) the click asks for; returns the line to show, '' for none. */
    async function run(): Promise<string> {
      switch (kind) {
        case 'open':
          where = { campaignId: uuid.parse(c.value), afterSeq: 0 };
          // Checked now, so a refusal is answered rather than a modal opened on nothing.
          await decisions.campaignFor(where.campaignId, c.userId, c.teamId);
          return '';
        case 'page': {
          const [cid, after] = c.value.split('|');
          where = { campaignId: uuid.parse(cid), afterSeq: Seq.parse(after) };
          return '';
        }
        case 'keepPage': {
          const [cid, after, last] = c.value.split('|');
          const n = await decisions.keepPage(uuid.parse(cid), Seq.parse(after), Seq.parse(last), c.userId, c.teamId);
          return `Kept ${n} item${n === 1 ? '' : 's'} of this page.`;
        }
        default: {
          const [itemId, role] = c.value.split('|');
          const verdict = kind === 'role' ? 'change' : kind;
          const r = role === undefined ? undefined : z.enum(ROLES).parse(role);
          const item = await decisions.decide({ itemId: ItemId.parse(itemId), reviewer: c.userId, teamId: c.teamId, verdict, ...(r && { role: r }) });
          const email = typed(item.email);
          return verdict === 'keep' ? `Kept ${email} as ${item.role}.`
            : verdict === 'archive' ? `${email} is being archived.` : `${email} is being changed to ${item.decision!.role}.`;
        }
      }
    }
  };
}

function safeJson(s: string | undefined): unknown {
  try {
    return s ? JSON.parse(s) : null;
  } catch {
    return null;
  }
}

/** action id -> what the click is. */
export const ACCESS_REVIEW_ACTIONS: Array<[string, Kind]> = [
  [ids.ACCESS_REVIEW_OPEN, 'open'], [ids.ACCESS_REVIEW_KEEP, 'keep'], [ids.ACCESS_REVIEW_ROLE, 'role'],
  [ids.ACCESS_REVIEW_ARCHIVE, 'archive'], [ids.ACCESS_REVIEW_KEEP_PAGE, 'keepPage'], [ids.ACCESS_REVIEW_PAGE, 'page'],
];

