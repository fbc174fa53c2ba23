/**
 * The calls made while answering someone, paced by the outbound path's count (issue 23): a form's
 * views.open and a user group's read. Without a turn they do not call Slack; a 429 they meet
 * pauses their method for everyone (Outbound.limited).
 */
import { describe, expect, it } from 'vitest';
import { webApi } from '@slack/bolt';
import { isDomainError } from '../../src/domain/errors.js';
import { SlackDirectory } from '../../src/slack/directory.js';
import { openView } from '../../src/slack/open-view.js';
import { SlackRateLimitedError } from '../../src/slack/slack-client.js';

const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'x' }, blocks: [] };

function outbound(turn: boolean) {
  const limited: Array<{ method: string; teamId: string; retryAfter: number }> = [];
  return {
    limited,
    o: {
      acquire: async () => turn,
      limited: async (a: { method: string; teamId: string }, retryAfter: number) => void limited.push({ ...a, retryAfter }),
    },
  };
}

describe('openView', () => {
  it('opens the form when it has a turn', async () => {
    const { o } = outbound(true);
    const opened: unknown[] = [];
    await openView(o, { views: { open: async (a) => void opened.push(a) } }, 'T1', { trigger_id: 't', view });
    expect(opened).toHaveLength(1);
  });

  it('without a turn within the wait: Slack is not called, the person is told Slack is busy', async () => {
    const { o } = outbound(false);
    let called = false;
    const err = await openView(o, { views: { open: async () => void (called = true) } }, 'T1', { trigger_id: 't', view }).catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(isDomainError(err) && err.message).toMatch(/Slack is busy right now/);
  });

  it("a 429 from Bolt's client pauses views.open in that Slack workspace, and says Slack is busy", async () => {
    const { o, limited } = outbound(true);
    const rateLimited = Object.assign(new Error('rate limited'), { code: webApi.ErrorCode.RateLimitedError, retryAfter: 7 });
    const err = await openView(o, { views: { open: async () => { throw rateLimited; } } }, 'T9', { trigger_id: 't', view }).catch((e: unknown) => e);
    expect(limited).toEqual([{ method: 'views.open', teamId: 'T9', retryAfter: 7 }]);
    expect(isDomainError(err)).toBe(true);
    // Anything else is not Slack being busy: it is passed on as it was.
    const other = new Error('channel_not_found');
    await expect(openView(o, { views: { open: async () => { throw other; } } }, 'T9', { trigger_id: 't', view })).rejects.toBe(other);
  });
});

describe('SlackDirectory paced', () => {
  it('reads a group only with a turn, and tells the pacing of a 429', async () => {
    let turn = false;
    const limitedFor: number[] = [];
    let calls = 0;
    let answer: () => Promise<{ users?: string[] }> = async () => ({ users: ['U1'] });
    const dir = new SlackDirectory(
      { usergroups: { users: { list: async () => { calls++; return answer(); } } } },
      { generations: memoryGenerations(), pace: { turn: async () => turn, limited: async (s) => void limitedFor.push(s) } },
    );
    await expect(dir.groupMembers('S1')).rejects.toThrow(/limiting usergroups\.users\.list/);
    expect(calls).toBe(0);
    turn = true;
    answer = async () => { throw new SlackRateLimitedError('usergroups.users.list', 12); };
    await expect(dir.groupMembers('S1')).rejects.toBeInstanceOf(SlackRateLimitedError);
    expect(limitedFor).toEqual([12]);
    answer = async () => ({ users: ['U1', 'U2'] });
    expect(await dir.groupMembers('S1')).toEqual(['U1', 'U2']);
  });
});

/** The group generations in a Map (this test is about pacing, not about Redis). */
function memoryGenerations() {
  const m = new Map<string, string>();
  return {
    async get(key: string) { return m.get(key) ?? null; },
    async set(key: string, value: string, _ex: 'EX', _s: number, nx?: 'NX') {
      if (nx && m.has(key)) return null;
      m.set(key, value);
      return 'OK';
    },
  };
}
