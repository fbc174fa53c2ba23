/**
 * Many tokens of one workspace falling due in one scan: one digest message per notification
 * channel instead of a message each, every token still with its Rotate and Extend buttons, within
 * Slack's 50 blocks a message (the fake Slack refuses more). A few tokens still get a message each.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import { ids } from '../../src/slack/ids.js';
import { TestClock } from '../helpers/clock.js';
import { startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';

const DAY = 86_400_000;
const clock = new TestClock();
let t: TestApp;
beforeAll(async () => {
  // The workers' own scans run once an hour: the test's scans are the ones that post.
  t = await startTestApp({ options: { clock } });
});
afterAll(async () => {
  await t?.stop();
});

/** `n` technical users whose tokens expire in 5 days, their 7-day warning due now. */
async function dueTokens(n: number, tag: string): Promise<TechnicalUser[]> {
  const now = clock.now();
  const users: TechnicalUser[] = Array.from({ length: n }, (_, i) => ({
    id: randomUUID(), workspaceId: WS_ID, userName: `${tag}-${i}`, description: '', role: 'MEMBER', customerRoles: [], accessControlEntities: [],
    token: {
      hash: `h-${tag}-${i}`, lastFour: String(1000 + i), createdAt: now, expiresAt: new Date(now.getTime() + 5 * DAY),
      revealBy: null, revokedAt: null, nextWarningAt: new Date(now.getTime() - 1000), lastWarnedDays: null,
    },
    createdAt: now, version: 0, lastRequestId: null,
  }) as TechnicalUser);
  for (const u of users) await t.store.technicalUsers.insert(u);
  return users;
}

const warningsAbout = (tag: string) =>
  t.slack.delivered('chat.postMessage', (c) => c.args.channel === 'CNOTIFY' && JSON.stringify(c.args.blocks ?? []).includes(`${tag}-`));

describe('expiry digest', () => {
  it('30 tokens due at once: two digest messages (24 + 6), each token once with both buttons, under 50 blocks', async () => {
    const users = await dueTokens(30, 'digest');
    expect(await t.kw.expiry.scanTokens()).toBe(30);
    const messages = warningsAbout('digest');
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(m.args.blocks.length).toBeLessThanOrEqual(50);
    const buttons = messages.flatMap((m) => m.args.blocks.filter((b: any) => b.type === 'actions').flatMap((b: any) => b.elements));
    for (const u of users) {
      expect(buttons.filter((b: any) => b.value === u.id).map((b: any) => b.action_id).sort()).toEqual([ids.EXTEND_TOKEN, ids.ROTATE_TOKEN].sort());
    }
    for (const m of messages) {
      const blockIds = m.args.blocks.map((b: any) => b.block_id).filter(Boolean);
      expect(new Set(blockIds).size).toBe(blockIds.length); // Slack refuses repeated block ids
    }
    expect(messages[0]!.args.text).toMatch(/24 API tokens in meshlab expire soon/);
    // Claimed once: another scan posts nothing.
    expect(await t.kw.expiry.scanTokens()).toBe(0);
  });

  it('a few tokens due at once: a message each, as before', async () => {
    await dueTokens(3, 'few');
    expect(await t.kw.expiry.scanTokens()).toBe(3);
    const messages = warningsAbout('few');
    expect(messages).toHaveLength(3);
    for (const m of messages) expect(m.args.text).toMatch(/The API token of technical user few-\d \(MEMBER\) in meshlab expires/);
  });
});
