/**
 * Reviews (issue 22): a 5,000-item access review against a fake Slack at Slack's published limits,
 * the server pacing its Slack calls at the product's defaults. The scheduled campaign of the
 * policy starts with the workers; it is stopped, and then measured: `/permission review start`
 * until its answer (the items snapshotted, the start recorded, the DMs handed to the outbound
 * path), and until every reviewer has their DM at the fake Slack. The floor for the DMs is what
 * Slack's limits allow: one DM to each of REVIEWERS channels, each within its channel's burst, so
 * none has to wait. Also reported: the floor of the outbound lane's own pacing (chat.postMessage
 * paced for all channels together, lanes.ts), which is what this design can reach.
 */
import { FakeSlack } from '../../test/helpers/fake-slack.js';
import { postSigned, slashCommandBody } from '../../test/helpers/slack-requests.js';
import { SLACK_LANE_LIMITS } from '../../src/slack/outbound/lanes.js';
import { ADMIN, APPROVER, benchSeed, SIGNING_SECRET, TEAM } from '../fixture.js';
import { until } from '../harness.js';
import { startServer } from '../servers.js';

export const REVIEWERS = 10;
const NAME = 'bench-review';

export interface ReviewsResult {
  items: number;
  reviewers: number;
  startS: number;
  dmsS: number;
  /** What Slack's limits require (s), and what the outbound lane's pacing requires (s). */
  dmsFloorS: number;
  laneFloorS: number;
  dmsOnce: boolean;
  limited: Record<string, number>;
}

export async function runReviews(o: { items: number; dir: string; redisUrl: string; mongodbUri: string; queuePrefix: string; mongoDb?: string }): Promise<ReviewsResult> {
  const slack = await FakeSlack.start({ limits: true });
  const reviewers = Array.from({ length: REVIEWERS }, (_, i) => `UBENCHREV${String(i).padStart(2, '0')}`);
  const seed = benchSeed({ ackUsers: 0, applyUsers: o.items });
  (seed.workspaces[0]!.policy as object) = {
    ...seed.workspaces[0]!.policy, accessReviews: [{ name: NAME, everyDays: 90, roles: ['MEMBER'], statuses: ['ACTIVE'], reviewers, dueDays: 14 }],
  };
  const server = await startServer({
    name: 'reviews-server', dir: o.dir, redisUrl: o.redisUrl, slackApiUrl: slack.apiUrl, mongodbUri: o.mongodbUri, mongoDb: o.mongoDb,
    seed, queuePrefix: o.queuePrefix, slackLimits: true, sweepEveryMs: 2000,
  });
  let n = 0;
  const say = async (user: string, text: string): Promise<{ text: string; at: number }> => {
    const id = `reviews-${++n}`;
    const res = await postSigned(server.url, slashCommandBody({ command: '/permission', text, userId: user, teamId: TEAM, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
    if (res.status !== 200) throw new Error(`HTTP ${res.status} for /permission ${text}`);
    const answer = await slack.waitFor('response_url', (c) => c.args.responseId === id, 120_000);
    return { text: String(answer.args.text), at: answer.at };
  };
  const dms = (who: string) => slack.delivered('chat.postMessage', (c) => c.args.channel === who && String(c.args.text).includes(`${NAME}:`));
  try {
    // The scheduled campaign: every reviewer told once, then stopped so the next one is measured alone.
    await until(() => reviewers.every((r) => dms(r).length >= 1), 'the scheduled campaign\'s DMs', 300_000, 100);
    const stopped = await say(APPROVER, `review stop ${NAME}`);
    if (!/stopped/.test(stopped.text)) throw new Error(`could not stop the scheduled campaign: ${stopped.text}`);
    await new Promise((r) => setTimeout(r, 3000)); // the stop's summary and the lane settle
    const t0 = Date.now();
    const started = await say(ADMIN, `review start ${NAME}`);
    if (!/started: \d+ items/.test(started.text)) throw new Error(`the campaign did not start: ${started.text}`);
    await until(() => reviewers.every((r) => dms(r).length >= 2), 'every reviewer\'s DM', 300_000, 50);
    const dmsAt = Math.max(...reviewers.map((r) => dms(r)[1]!.at));
    await new Promise((r) => setTimeout(r, 1000)); // a DM sent twice would show by now
    // Each DM is a channel of its own: what paces them is the per-Slack-workspace cap on chat.postMessage.
    const lane = SLACK_LANE_LIMITS.postPerTeam!;
    return {
      items: Number(/started: (\d+) items/.exec(started.text)![1]), reviewers: REVIEWERS,
      startS: (started.at - t0) / 1000, dmsS: (dmsAt - t0) / 1000,
      dmsFloorS: 0, laneFloorS: (Math.max(0, REVIEWERS - lane.burst) * lane.intervalMs) / 1000,
      dmsOnce: reviewers.every((r) => dms(r).length === 2),
      limited: Object.fromEntries(slack.limiter!.limited),
    };
  } finally {
    await server.child.stop();
    await slack.stop();
  }
}
