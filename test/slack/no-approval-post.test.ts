/**
 * Finding 9 of the second review: a request that needs no approval (a rule's `approvals: 0`,
 * break-glass) was first posted as an ordinary approval message, with Approve and Reject, and only
 * rewritten later (under Slack's limits, much later). Through the real app, the fake Slack
 * enforcing Slack's limits: the first post is already what the request is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import { ADMIN, APPROVALS, APPROVER1, startTestApp, testSeed, type TestApp } from '../helpers/keywarden.js';
import type { SlackCall } from '../helpers/fake-slack.js';

let t: TestApp;
beforeAll(async () => {
  const seed = testSeed();
  (seed.workspaces[0]!.policy as object) = {
    requiredApprovals: 1, requestTtlHours: 72,
    rules: [
      { kinds: ['permission.invite'], roles: ['VIEWER'], approvals: 0 },
      { kinds: ['permission.role'], roles: ['ADMIN'], approvals: 1, approvers: [APPROVER1], breakGlass: true },
    ],
  };
  t = await startTestApp({ seed, slack: { limits: true } });
});
afterAll(async () => {
  await t?.stop();
});

const buttons = (c: SlackCall) => JSON.stringify(c.args.blocks ?? []);

async function firstPost(text: string): Promise<SlackCall> {
  const reply = await t.answer((await t.command(ADMIN, text)).responseId);
  const short = /Request ([0-9a-f]{8})/.exec(reply)?.[1];
  expect(short, reply).toBeDefined();
  return t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && !c.failed && buttons(c).includes(short!), 10_000);
}

describe('a request that needs no approval', () => {
  it('is posted without Approve and Reject, saying it is applied at once', async () => {
    const post = await firstPost('invite someone.new@meshlab.de VIEWER');
    expect(buttons(post)).not.toContain(ids.APPROVE);
    expect(buttons(post)).not.toContain(ids.REJECT);
    expect(buttons(post)).toContain('Applied at once: rule 1 of the policy needs no approval');
    expect(String(post.args.text)).not.toContain('PENDING');
  });

  it('is posted as break-glass, without Approve and Reject', async () => {
    const post = await firstPost('role jane.roe@meshlab.de ADMIN for 1h breakglass incident 45: pager duty');
    expect(buttons(post)).not.toContain(ids.APPROVE);
    expect(buttons(post)).toContain('Break-glass by <@UADMIN1>: applied without approval');
  });

  it('an ordinary request still gets its buttons', async () => {
    const post = await firstPost('role max.muster@meshlab.de ADMIN');
    expect(buttons(post)).toContain(ids.APPROVE);
  });
});
