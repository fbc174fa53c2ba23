/**
 * Burst over many channels (issue 23): Slack counts chat.postMessage per channel (and per Slack
 * workspace), the Tier methods per method per Slack workspace, and so does the fake Slack here.
 * 10 approvals channels (10 workspaces in 2 Slack workspaces) x 10 requests at once, then every
 * request approved at once. Figures: seconds until the last approval message is posted, and until
 * the last change is applied, its message rewritten and its requester told, next to the floor
 * Slack's published limits set: for the posts, one channel's 10 messages at a message a second
 * after its burst (all channels in parallel); for the rest, the rewrites, 50 per Slack workspace at
 * Tier 3 after its burst (each workspace's admin's DMs, 10 each, finish sooner).
 */
import { appliedOnce } from './context.js';
import { randomUUID } from 'node:crypto';
import { ids } from '../../src/slack/ids.js';
import { FakeSlack, type SlackCall } from '../../test/helpers/fake-slack.js';
import { SLACK_LIMITS } from '../../test/helpers/fake-slack-limits.js';
import { blockActionBody, postSigned, slashCommandBody } from '../../test/helpers/slack-requests.js';
import { SIGNING_SECRET } from '../fixture.js';
import { until } from '../harness.js';
import { startServer } from '../servers.js';

export interface BurstChannelsResult {
  channels: number; perChannel: number; teams: number;
  postedS: number; postedFloorS: number;
  doneS: number; doneFloorS: number;
  ackMaxMs: number; acks: number;
  postedOnce: boolean; appliedOnce: boolean; toldOnce: boolean;
  /** Calls the fake Slack answered 429, by what was exhausted. */
  limited: Record<string, number>;
}

const TEAMS = ['TBENCHA', 'TBENCHB'];
const channelOf = (w: number) => `CBURST${w}`;
const adminOf = (w: number) => `UBURSTADMIN${w}`;
const approverOf = (team: string) => `UBURSTAPPR${team}`;
const teamOf = (w: number) => TEAMS[w % TEAMS.length]!;
const emailOf = (w: number, i: number) => `burst-${w}-${i}@bench.example`;

function seed(channels: number, perChannel: number) {
  return {
    workspaces: Array.from({ length: channels }, (_, w) => ({
      id: randomUUID(), name: `burst-${w}`,
      slack: { teamId: teamOf(w), approvalsChannel: channelOf(w), notificationChannels: [`CBURSTNOTE${w}`] },
      admins: [adminOf(w)], approvers: [approverOf(teamOf(w))],
      policy: { requiredApprovals: 1, requestTtlHours: 72 },
      users: Array.from({ length: perChannel }, (_, i) => ({ email: emailOf(w, i), firstName: 'Burst', lastName: 'User', role: 'MEMBER', status: 'ACTIVE' })),
    })),
  };
}

export async function runBurstChannels(o: {
  channels: number; perChannel: number; dir: string; redisUrl: string; mongodbUri: string; queuePrefix: string; logFile: (name: string) => string; mongoDb?: string;
}): Promise<BurstChannelsResult> {
  const { channels, perChannel } = o;
  const n = channels * perChannel;
  const slack = await FakeSlack.start({ limits: true });
  for (let w = 0; w < channels; w++) {
    slack.channelTeams.set(channelOf(w), teamOf(w));
    slack.channelTeams.set(adminOf(w), teamOf(w));
  }
  const server = await startServer({
    name: 'burst-channels-server', dir: o.dir, redisUrl: o.redisUrl, slackApiUrl: slack.apiUrl, mongodbUri: o.mongodbUri, mongoDb: o.mongoDb,
    seed: seed(channels, perChannel), queuePrefix: o.queuePrefix, slackLimits: true,
  });
  const acks: number[] = [];
  let seq = 0;
  const signed = async (body: string) => {
    const res = await postSigned(server.url, body, { secret: SIGNING_SECRET });
    if (res.status !== 200) throw new Error(`HTTP ${res.status} for a signed request`);
    acks.push(res.ms);
  };
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: n }, (_, k) => {
      const w = k % channels;
      const i = Math.floor(k / channels);
      return signed(slashCommandBody({
        command: '/permission', text: `role ${emailOf(w, i)} ADMIN burst workspace:burst-${w}`, userId: adminOf(w), teamId: teamOf(w),
        responseUrl: slack.responseUrl(`burst-channels-${++seq}`),
      }));
    }));
    const channelIds = new Set(Array.from({ length: channels }, (_, w) => channelOf(w)));
    const posts = () => slack.delivered('chat.postMessage', (c) => channelIds.has(String(c.args.channel)) && !c.args.thread_ts);
    await until(() => posts().length >= n, `${n} approval messages`, 600_000, 100);
    const postedS = (Math.max(...posts().map((c) => c.at)) - t0) / 1000;
    const requestIds = posts().map((c) => c.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string);
    const placeOf = posts().map((c) => ({ channel: String(c.args.channel), ts: String(c.result?.ts) }));
    const idByTs = new Map(placeOf.map((p, k) => [p.ts, requestIds[k]!]));

    const t1 = Date.now();
    await Promise.all(requestIds.map((id, k) => {
      const w = Number(placeOf[k]!.channel.slice('CBURST'.length));
      return signed(blockActionBody({
        actionId: ids.APPROVE, value: id, userId: approverOf(teamOf(w)), teamId: teamOf(w), responseUrl: slack.responseUrl(`burst-channels-click-${k}`), channelId: channelOf(w),
      }));
    }));
    const finalRewrite = new Map<string, SlackCall>();
    const told = new Map<string, SlackCall[]>();
    const admins = new Set(Array.from({ length: channels }, (_, w) => adminOf(w)));
    const done = () => {
      for (const c of slack.delivered('chat.update', (x) => /Applied/.test(JSON.stringify(x.args.blocks ?? '')))) {
        const id = idByTs.get(String(c.args.ts));
        if (id && !finalRewrite.has(id)) finalRewrite.set(id, c);
      }
      told.clear();
      for (const c of slack.delivered('chat.postMessage', (x) => admins.has(String(x.args.channel)))) {
        const id = requestIds.find((r) => String(c.args.text).includes(r.slice(0, 8)));
        if (id) told.set(id, [...(told.get(id) ?? []), c]);
      }
      return finalRewrite.size >= n && told.size >= n;
    };
    await until(done, `${n} requests applied, rewritten and told`, 900_000, 250);
    const doneS = (Math.max(...[...finalRewrite.values(), ...[...told.values()].map((c) => c[0]!)].map((c) => c.at)) - t1) / 1000;
    await new Promise((r) => setTimeout(r, 1000)); // anything sent twice would show by now
    done();

    const post = SLACK_LIMITS.postMessagePerChannel;
    const update = SLACK_LIMITS.methods['chat.update']!;
    const perTeam = n / TEAMS.length;
    const postFloorS = ((perChannel - post.burst) / post.perMinute) * 60;
    return {
      channels, perChannel, teams: TEAMS.length,
      postedS, postedFloorS: postFloorS,
      doneS, doneFloorS: Math.max(((perTeam - update.burst) / update.perMinute) * 60, postFloorS),
      ackMaxMs: Math.max(...acks), acks: acks.length,
      postedOnce: posts().length === n && new Set(requestIds).size === n,
      appliedOnce: appliedOnce(o.logFile('burst-channels-server'), n),
      toldOnce: [...told.values()].every((c) => c.length === 1) && told.size === n,
      limited: Object.fromEntries(slack.limiter!.limitedByKey),
    };
  } finally {
    await server.child.stop();
    await slack.stop();
  }
}
