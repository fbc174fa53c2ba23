/**
 * A 5,000-item campaign through the real Bolt app and the fake Slack (which refuses any view of
 * more than 100 blocks): started by schedule, opened in a modal and paged to its end
 * with Next page, every page within Block Kit's limits; its Home tab too.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { REVIEW, reviewSeed } from '../helpers/access-reviews.js';
import { APPROVER1, SIGNING_SECRET, startTestApp, TEAM, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { blockActionBody, postSigned, viewActionBody } from '../helpers/slack-requests.js';
import { openHome } from '../helpers/views.js';

const N = 5000;
let t: TestApp;
beforeAll(async () => {
  // Started by the schedule as soon as the workers run: 5,000 VIEWERs and nothing else.
  const seed = reviewSeed({ roles: ['VIEWER'], statuses: ['ACTIVE'] });
  seed.workspaces[0]!.users.push(...Array.from({ length: N }, (_, n) => ({ email: `user${String(n).padStart(4, '0')}@bulk.example`, firstName: 'Bulk', lastName: `User ${n}`, role: 'VIEWER', status: 'ACTIVE' }) as never));
  t = await startTestApp({ seed });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('a campaign of 5,000 items', () => {
  it('is paged within Block Kit\'s limits from the first page to the last', async () => {
    const dm = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVER1 && String(c.args.text).includes(REVIEW), 30_000);
    expect(dm.args.text).toContain(`${REVIEW}: ${N} items to review`);
    const c = (await t.store.accessReviews.listCampaigns(WS_ID, { limit: 1 }))[0]!;
    expect(c.itemCount).toBe(N);
    const triggerId = `${randomUUID()}.trigger`;
    await postSigned(t.kw.url!, blockActionBody({ actionId: ids.ACCESS_REVIEW_OPEN, value: c.id, userId: APPROVER1, teamId: TEAM, responseUrl: t.slack.responseUrl('o'), channelId: 'DAPPR1', triggerId }), { secret: SIGNING_SECRET });
    let page = (await t.slack.waitFor('views.open', (x) => x.args.trigger_id === triggerId)).args.view;
    const seen = new Set<string>();
    for (let n = 1; ; n++) {
      expect(page.blocks.length).toBeLessThanOrEqual(100);
      for (const b of page.blocks) if (b.type === 'actions' && String(b.block_id).startsWith('accessreview-item:')) seen.add(b.block_id);
      const next = page.blocks.flatMap((b: any) => (b.type === 'actions' ? b.elements : [])).find((e: any) => e.text?.text === 'Next page');
      if (!next) break;
      const before = t.slack.callsTo('views.update').length;
      await postSigned(t.kw.url!, viewActionBody({ actionId: ids.ACCESS_REVIEW_PAGE, value: next.value, userId: APPROVER1, view: { id: 'VBIG', private_metadata: page.private_metadata } }), { secret: SIGNING_SECRET });
      page = (await t.slack.waitFor('views.update', (x) => t.slack.callsTo('views.update').indexOf(x) >= before)).args.view;
      // Every page Slack took: none was refused for its size.
      expect(t.slack.calls.filter((x) => x.method.startsWith('views.') && x.failed)).toEqual([]);
      if (n > N) throw new Error('paging never ended');
    }
    expect(seen.size).toBe(N);
    const home = await openHome(t, APPROVER1);
    expect(home.args.view.blocks.length).toBeLessThanOrEqual(100);
    expect(JSON.stringify(home.args.view.blocks)).toContain(`Review all ${N}`);
    expect(t.slack.calls.filter((x) => x.failed)).toEqual([]);
  }, 120_000);
});
