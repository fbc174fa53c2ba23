/**
 * A guided tour without a Slack workspace: starts Keywarden (in-memory store, the sample seed,
 * the Redis at REDIS_URL or a private one) against a local fake Slack, then plays an admin and an
 * approver with signed requests and prints what Slack would have shown. `npm run demo`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { startKeywarden } from '../src/keywarden.js';
import { createLog } from '../src/log.js';
import { ids } from '../src/slack/ids.js';
import { FakeSlack, type SlackCall } from '../test/helpers/fake-slack.js';
import { startRedis } from '../test/helpers/redis.js';
import { blockActionBody, postSigned, slashCommandBody } from '../test/helpers/slack-requests.js';

const SECRET = 'demo-signing-secret';
const TEAM = 'T01EXAMPLE';
const ADMIN = 'U01ADMIN';
const APPROVER = 'U01APPROVER1';

const slack = await FakeSlack.start();
const redis = process.env.REDIS_URL ? null : await startRedis();
const config = loadConfig({
  PORT: '0', MONGODB_URI: 'memory', REDIS_URL: process.env.REDIS_URL ?? redis!.url, SLACK_API_URL: slack.apiUrl,
  SLACK_BOT_TOKEN: 'xoxb-demo', SLACK_SIGNING_SECRET: SECRET, KEYWARDEN_SECRET: randomBytes(48).toString('base64'),
  SEED_FILE: 'examples/seed.json', LOG_LEVEL: 'warn',
});
const kw = await startKeywarden(config, { log: createLog('warn'), queuePrefix: `demo-${randomUUID().slice(0, 6)}` });

const show = (who: string, text: string) => console.log(`\n[${who}]\n${text}`);
const textOf = (c: SlackCall) => String(c.args.text ?? '');
let n = 0;

async function command(user: string, command: string, text: string) {
  const id = `c${++n}`;
  show(`${user} types`, `${command} ${text}`);
  const res = await postSigned(kw.url!, slashCommandBody({ command, text, userId: user, teamId: TEAM, responseUrl: slack.responseUrl(id) }), { secret: SECRET });
  show('Keywarden answers (ephemeral)', res.json?.text ?? textOf(await slack.waitFor('response_url', (c) => c.args.responseId === id)));
}

async function click(user: string, actionId: string, value: string, label: string) {
  const id = `a${++n}`;
  show(`${user} clicks`, label);
  await postSigned(kw.url!, blockActionBody({ actionId, value, userId: user, teamId: TEAM, responseUrl: slack.responseUrl(id), channelId: 'C01APPROVALS' }), { secret: SECRET });
  return textOf(await slack.waitFor('response_url', (c) => c.args.responseId === id));
}

try {
  await command(ADMIN, '/permission', 'list');
  await command(ADMIN, '/permission', 'activate john.doe@meshlab.de');
  await command(ADMIN, '/permission', 'role john.doe@meshlab.de ADMIN runs the EA board now');
  const post = await slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C01APPROVALS');
  show('#approvals gets', textOf(post));
  const requestId = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
  show('Keywarden answers the requester', await click(ADMIN, ids.APPROVE, requestId, 'Approve (on their own request)'));
  show('Keywarden answers the approver', await click(APPROVER, ids.APPROVE, requestId, 'Approve'));
  const dm = await slack.waitFor('chat.postMessage', (c) => c.args.channel === ADMIN);
  show(`DM to ${ADMIN}`, textOf(dm));
  await command(ADMIN, '/permission', 'list john');
} finally {
  await kw.stop();
  await slack.stop();
  await redis?.stop();
}
