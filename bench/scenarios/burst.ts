/**
 * Burst: Slack at its published limits (the fake Slack enforces them: chat.postMessage 1 a second
 * per channel after a burst of 3, chat.update 50 a minute after 5, 429 with Retry-After beyond).
 * 100 admins' requests arrive at once into one approvals channel, then 100 approvals at once. The
 * server paces its Slack calls at the product's defaults. Figures: seconds until the last approval
 * message is posted, and until the last change is applied, its message rewritten and its
 * requester told, each next to the floor the limits set; every command's ack, including one
 * command every 2 s while the bursts drain.
 */
import { appliedOnce } from './context.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { ids } from '../../src/slack/ids.js';
import { FakeSlack, type SlackCall } from '../../test/helpers/fake-slack.js';
import { SLACK_LIMITS } from '../../test/helpers/fake-slack-limits.js';
import { blockActionBody, postSigned, slashCommandBody } from '../../test/helpers/slack-requests.js';
import { ADMIN, APPROVALS, APPROVER, applyEmail, benchSeed, SIGNING_SECRET, TEAM } from '../fixture.js';
import { until } from '../harness.js';
import { startServer } from '../servers.js';

export interface BurstResult {
  n: number;
  postedS: number; postedFloorS: number;
  doneS: number; doneFloorS: number;
  ackMaxMs: number; acks: number;
  postedOnce: boolean; appliedOnce: boolean; toldOnce: boolean;
  /** Calls the fake Slack answered 429, by method. */
  limited: Record<string, number>;
}

export async function runBurst(o: { n: number; dir: string; redisUrl: string; mongodbUri: string; queuePrefix: string; logFile: (name: string) => string; mongoDb?: string }): Promise<BurstResult> {
  const { n } = o;
  const slack = await FakeSlack.start({ limits: true });
  const server = await startServer({
    name: 'burst-server', dir: o.dir, redisUrl: o.redisUrl, slackApiUrl: slack.apiUrl, mongodbUri: o.mongodbUri, mongoDb: o.mongoDb,
    seed: benchSeed({ ackUsers: 0, applyUsers: n }), queuePrefix: o.queuePrefix, slackLimits: true,
  });
  const acks: number[] = [];
  let seq = 0;
  const signed = async (body: string) => {
    const res = await postSigned(server.url, body, { secret: SIGNING_SECRET });
    if (res.status !== 200) throw new Error(`HTTP ${res.status} for a signed request`);
    acks.push(res.ms);
  };
  const command = (text: string) =>
    signed(slashCommandBody({ command: '/permission', text, userId: ADMIN, teamId: TEAM, responseUrl: slack.responseUrl(`burst-${++seq}`) }));
  // One more command every 2 s while the bursts drain: acks stay fast throughout.
  let trickling = true;
  const trickle = (async () => {
    while (trickling) {
      await sleep(2000);
      if (trickling) await command('list');
    }
  })();
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: n }, (_, i) => command(`role ${applyEmail(i)} ADMIN burst`)));
    const posts = () => slack.delivered('chat.postMessage', (c) => c.args.channel === APPROVALS && !c.args.thread_ts);
    await until(() => posts().length >= n, `${n} approval messages (got ${posts().length})`, 600_000, 100);
    const postedS = (Math.max(...posts().map((c) => c.at)) - t0) / 1000;
    const requestIds = posts().map((c) => c.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string);
    const tsOf = new Map(posts().map((c, i) => [String(c.result?.ts), requestIds[i]!]));

    const t1 = Date.now();
    await Promise.all(requestIds.map((id, i) => signed(blockActionBody({
      actionId: ids.APPROVE, value: id, userId: APPROVER, teamId: TEAM, responseUrl: slack.responseUrl(`burst-click-${i}`), channelId: APPROVALS,
    }))));
    // Done: each request's approval message shows it applied, and its requester has been told.
    const finalRewrite = new Map<string, SlackCall>();
    const told = new Map<string, SlackCall[]>();
    const done = () => {
      for (const c of slack.delivered('chat.update', (x) => /Applied/.test(JSON.stringify(x.args.blocks ?? '')))) {
        const id = tsOf.get(String(c.args.ts));
        if (id && !finalRewrite.has(id)) finalRewrite.set(id, c);
      }
      told.clear();
      for (const c of slack.delivered('chat.postMessage', (x) => x.args.channel === ADMIN)) {
        const id = requestIds.find((r) => String(c.args.text).includes(r.slice(0, 8)));
        if (id) told.set(id, [...(told.get(id) ?? []), c]);
      }
      return finalRewrite.size >= n && told.size >= n;
    };
    await until(done, `${n} requests applied, rewritten and told`, 900_000, 250);
    const doneS = (Math.max(...[...finalRewrite.values(), ...[...told.values()].map((c) => c[0]!)].map((c) => c.at)) - t1) / 1000;
    trickling = false;
    await trickle;
    await sleep(1000); // anything sent twice would show by now
    done();

    const limited = Object.fromEntries(slack.limiter!.limited);
    // The floors: the limits' burst, then their rate. Posts: one channel. Rewrites: one each at
    // Tier 3 (the DMs, one a second to the one requester, finish sooner).
    const post = SLACK_LIMITS.postMessagePerChannel;
    const update = SLACK_LIMITS.methods['chat.update']!;
    return {
      n, postedS, postedFloorS: ((n - post.burst) / post.perMinute) * 60,
      doneS, doneFloorS: Math.max(((n - update.burst) / update.perMinute) * 60, ((n - post.burst) / post.perMinute) * 60),
      ackMaxMs: Math.max(...acks), acks: acks.length,
      postedOnce: posts().length === n && new Set(requestIds).size === n,
      appliedOnce: appliedOnce(o.logFile('burst-server'), n),
      toldOnce: [...told.values()].every((c) => c.length === 1) && told.size === n,
      limited,
    };
  } finally {
    trickling = false;
    await trickle.catch(() => undefined);
    await server.child.stop();
    await slack.stop();
  }
}
