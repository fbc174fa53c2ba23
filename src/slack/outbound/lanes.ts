/**
 * Which of Slack's limits a call counts against, and how fast Keywarden lets itself call.
 *
 * Slack (https://docs.slack.dev/apis/web-api/rate-limits): limits apply "per API method per
 * workspace per app"; chat.postMessage allows about one message a second per channel (DMs are
 * channels too), short bursts allowed, under a workspace-wide limit Slack describes only as
 * several hundred a minute; the other methods by tier: Tier 2 20+ a minute (usergroups.users.list),
 * Tier 3 50+ (chat.update, conversations.open, users.lookupByEmail), Tier 4 100+ (views.publish, views.open,
 * views.update, chat.postEphemeral, users.info). Keywarden keeps a little under each, since a call
 * that reaches Slack a few ms early costs a 429 and a pause.
 *
 * The outbound path has one BullMQ queue per method it sends with (a fixed set, its lanes), and
 * paces inside them per key (pacer.ts): a channel, a Slack workspace's posts, a method in a Slack
 * workspace.
 */
import type { PaceKey, PaceLimit } from './pacer.js';

export type LaneLimit = PaceLimit;

export interface LaneLimits {
  /** chat.postMessage per channel (a DM is its own channel). */
  postPerChannel: PaceLimit | null;
  /** chat.postMessage per Slack workspace, whatever the channel. */
  postPerTeam: PaceLimit | null;
  /** Every other method, per Slack workspace; a method not named is not paced. */
  methods: Partial<Record<string, PaceLimit>>;
}

const TIER2: PaceLimit = { burst: 2, intervalMs: 3100 };
const TIER3: PaceLimit = { burst: 3, intervalMs: 1250 };
const TIER4: PaceLimit = { burst: 5, intervalMs: 620 };

export const SLACK_LANE_LIMITS: LaneLimits = {
  // A burst of 2 where Slack takes about 3: a message that leaves a little late (a busy worker)
  // then still finds a token at Slack instead of a 429.
  postPerChannel: { burst: 2, intervalMs: 1020 },
  // 280 a minute: under the 300 the issue asks to stay below.
  postPerTeam: { burst: 5, intervalMs: 215 },
  methods: {
    // functions.completeSuccess / completeError: Tier 3 (api.slack.com/methods/functions.completeSuccess).
    'chat.update': TIER3, 'conversations.open': TIER3, 'users.lookupByEmail': TIER3, 'functions.completeSuccess': TIER3, 'functions.completeError': TIER3,
    'views.publish': TIER4, 'views.open': TIER4, 'views.update': TIER4, 'chat.postEphemeral': TIER4, 'users.info': TIER4,
    'usergroups.users.list': TIER2,
  },
};

/** No pacing at all (a Slack without limits, as the benchmarks' fake). */
export const UNLIMITED_LANES: LaneLimits = { postPerChannel: null, postPerTeam: null, methods: {} };

/**
 * Where a call goes: its method, its Slack workspace, and (posts) its channel; and which
 * installation sends it: the Slack workspace's own, or (`enterpriseId`) its organisation's org-wide one.
 */
export interface SlackAddress { method: string; teamId: string; enterpriseId?: string | null; channel?: string }

/** The keys a call counts against. */
export function paceKeys(limits: LaneLimits, a: SlackAddress): PaceKey[] {
  if (a.method === 'chat.postMessage') {
    const keys: PaceKey[] = [];
    if (limits.postPerChannel && a.channel) keys.push({ id: `post:${a.teamId}:${a.channel}`, limit: limits.postPerChannel });
    if (limits.postPerTeam) keys.push({ id: `post:${a.teamId}`, limit: limits.postPerTeam });
    return keys;
  }
  const limit = limits.methods[a.method];
  return limit ? [{ id: `${a.method}:${a.teamId}`, limit }] : [];
}

/**
 * The key a 429 pauses: the channel for a post (Slack's per-channel limit is the one a paced
 * sender meets; the workspace cap is kept well below it), else the method in that Slack
 * workspace. None when the call is not paced at all (a Slack without limits): then only the
 * message that was refused waits its Retry-After.
 */
export function limitedKey(limits: LaneLimits, a: SlackAddress): PaceKey | null {
  return paceKeys(limits, a)[0] ?? null;
}
