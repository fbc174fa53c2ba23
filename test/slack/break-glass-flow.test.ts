/**
 * Break-glass through the real Bolt app, BullMQ and the fake Slack: the command applies the
 * grant without approval, the approvals and notification channels hear of it, and the Reviewed
 * button (only for the rule's approvers, never the requester) takes the review buttons away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, APPROVER1, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';

let t: TestApp;
beforeAll(async () => {
  const seed = testSeed();
  (seed.workspaces[0]!.policy as object) = {
    requiredApprovals: 1, requestTtlHours: 72,
    rules: [{ kinds: ['permission.role'], roles: ['ADMIN'], approvals: 2, approvers: [APPROVER1, 'UAPPR2'], breakGlass: true }],
  };
  t = await startTestApp({ seed });
  // UAPPR2 is Jane in Slack: she may not review her own break-glass grant.
  t.slack.people.set('UAPPR2', 'jane.roe@meshlab.de');
});
afterAll(async () => {
  await t?.stop();
});

const hasReview = (blocks: unknown) => JSON.stringify(blocks ?? []).includes(ids.BREAK_GLASS_REVIEWED);

describe('break-glass', () => {
  it('applies at once, announces it in both channels, and waits for review', async () => {
    const reply = await t.answer((await t.command(ADMIN, 'role jane.roe@meshlab.de ADMIN for 1h breakglass incident 42: database locked')).responseId);
    expect(reply).toMatch(/^:rotating_light: Break-glass: Request [0-9a-f]{8} .* is being applied now, without approval/);
    const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes('jane.roe'));
    const notice = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && String(c.args.text).includes('Break-glass'));
    expect(notice.args.text).toContain('<@UADMIN1> gave jane.roe@meshlab.de the role ADMIN for 1 hour without approval');
    expect(notice.args.text).toContain('Reason: incident 42: database locked');
    const requests = await t.store.requests.listByWorkspace(WS_ID, { limit: 5 });
    const r = requests.find((x) => x.breakGlass)!;
    const ts = (await t.store.requests.findById(r.id))!.slack!.ts;
    expect(post.args.blocks).toBeDefined();
    const updated = await t.slack.waitFor('chat.update', (c) => c.args.ts === ts && hasReview(c.args.blocks), 10_000);
    expect(JSON.stringify(updated.args.blocks)).toContain('awaiting review');
    expect((await t.store.requests.findById(r.id))!.status).toBe('APPLIED');

    expect(await t.answer((await t.click(ids.BREAK_GLASS_REVIEWED, r.id, ADMIN)).responseId)).toMatch(/cannot review your own/);
    expect(await t.answer((await t.click(ids.BREAK_GLASS_REVIEWED, r.id, 'UOUTSIDER')).responseId)).toMatch(/Only <@UAPPR1>, <@UAPPR2> can review/);
    expect(await t.answer((await t.click(ids.BREAK_GLASS_REVIEWED, r.id, 'UAPPR2')).responseId)).toMatch(/cannot review a change of your own permission/);
    expect(await t.answer((await t.click(ids.BREAK_GLASS_REVIEWED, r.id, APPROVER1)).responseId)).toMatch(/^Reviewed/);
    const reviewed = await t.slack.waitFor('chat.update', (c) => c.args.ts === ts && JSON.stringify(c.args.blocks).includes('reviewed by <@UAPPR1>'));
    expect(hasReview(reviewed.args.blocks)).toBe(false);
  });

  it('is refused where the rule does not allow it, and without a real reason', async () => {
    expect(await t.answer((await t.command(ADMIN, 'role max.muster@meshlab.de MEMBER for 1h breakglass the incident needs it')).responseId))
      .toMatch(/Break-glass is not allowed for this change/);
    expect(await t.answer((await t.command(ADMIN, 'role max.muster@meshlab.de ADMIN for 1h breakglass now')).responseId))
      .toMatch(/Break-glass needs a reason .*at least 10 characters with letters/);
    expect(await t.answer((await t.command(ADMIN, 'role max.muster@meshlab.de ADMIN for 9h breakglass the incident needs it')).responseId))
      .toMatch(/Break-glass lasts at most 4 hours/);
  });
});
