/**
 * How Slack reaches Keywarden. With SLACK_APP_TOKEN (an app-level `xapp-` token with
 * connections:write) it is Socket Mode: Keywarden opens a websocket to Slack, so a laptop with no
 * public URL works and no signing secret is needed (the socket is authenticated by the token).
 * Otherwise it is HTTP: Slack posts to /slack/events, signed with SLACK_SIGNING_SECRET.
 */
import type { Config } from '../config.js';

export type SlackTransport = { mode: 'socket'; appToken: string } | { mode: 'http'; signingSecret: string };

export function slackTransport(c: Pick<Config, 'SLACK_APP_TOKEN' | 'SLACK_SIGNING_SECRET'>): SlackTransport {
  if (c.SLACK_APP_TOKEN) return { mode: 'socket', appToken: c.SLACK_APP_TOKEN };
  // loadConfig refuses a configuration with neither, so this only guards a hand-made Config.
  if (!c.SLACK_SIGNING_SECRET) throw new Error('SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN selects Socket Mode');
  return { mode: 'http', signingSecret: c.SLACK_SIGNING_SECRET };
}
