/**
 * The App Home of an approver and admin of five workspaces of one Slack team, one of them with
 * 10,000 people and 10,000 technical users, each with more pending requests than a Home tab
 * shows, through the real Bolt app (signed app_home_opened; views.publish checked by the fake
 * Slack's Block Kit limits). It stays within 100 blocks, cut with a line, and says that the lists
 * are the first few rather than showing a count that looks like all of them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TechnicalUser } from '../../src/domain/technical-user.js';
import { ADMIN, ADMIN2, startTestApp, testSeed, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { manyPeople } from '../helpers/many-people.js';
import { openHome } from '../helpers/views.js';

const DAY = 86_400_000;
const PENDING = 15;
let t: TestApp;

function techUser(workspaceId: string, i: number): TechnicalUser {
  const now = Date.now();
  return {
    id: randomUUID(), workspaceId, userName: `bot-${String(i).padStart(5, '0')}`, description: '', role: 'VIEWER', customerRoles: [], accessControlEntities: [],
    token: {
      hash: randomUUID().replaceAll('-', ''), lastFour: String(i).padStart(4, '0').slice(-4), createdAt: new Date(now), expiresAt: new Date(now + (30 + (i % 300)) * DAY),
      revealBy: null, revokedAt: null, nextWarningAt: null, lastWarnedDays: null,
    },
    createdAt: new Date(now), version: 0, lastRequestId: null,
  };
}

beforeAll(async () => {
  const seed = testSeed();
  const meshlab = seed.workspaces[0]!;
  meshlab.users = [...meshlab.users, ...manyPeople(10_000 - 3)] as typeof meshlab.users;
  // Four more workspaces of the same Slack team, with the same admins and approvers.
  const more = [1, 2, 3, 4].map((i) => ({
    ...meshlab, id: randomUUID(), name: `team-${i}`, slack: { ...meshlab.slack, approvalsChannel: `CAPPR${i}` },
    users: manyPeople(PENDING, `team${i}.example`),
  }));
  seed.workspaces.push(...(more as typeof seed.workspaces));
  t = await startTestApp({ seed });
  for (let i = 0; i < 10_000; i++) await t.store.technicalUsers.insert(techUser(WS_ID, i));
  for (const ws of await t.store.workspaces.list()) {
    if (ws.slack.teamId !== 'T1') continue;
    const people = (await t.kw.permissions.list(ws.id)).slice(0, PENDING);
    for (const p of people) {
      await t.kw.requests.submit({ workspace: ws, requester: ADMIN, request: { kind: 'permission.role', params: { email: p.user.email, role: 'ADMIN' } }, reason: null });
    }
  }
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

describe('the Home tab of a big Slack team', () => {
  it('stays within 100 blocks, cut with a line, and says the lists are the first few', async () => {
    const publish = await openHome(t, ADMIN2);
    expect(publish.failed).toBeUndefined(); // the fake Slack accepted it (100 blocks, 3,000 characters a section)
    const blocks = publish.args.view.blocks as any[];
    expect(blocks.length).toBeLessThanOrEqual(100);
    expect(blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(/There is more than a Home tab can show/) }] });
    const text = JSON.stringify(blocks);
    expect(text).toContain('*Pending requests* (the 10 newest you may decide; <#CAPPROVALS> has them all)');
    expect(text).toContain('the 15 expiring soonest, `/techuser list` lists them all');
    expect(text.match(/• \*bot-\d+\*/g)).toHaveLength(15);
  });

});
