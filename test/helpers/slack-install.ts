/**
 * Installing Keywarden the way a person does (installable mode): open /slack/install, which sets
 * the signed state in a cookie and sends the browser to Slack; approve there (the fake Slack is
 * told which code it will exchange, for which Slack workspace or organisation); Slack redirects
 * to /slack/oauth_redirect with the code and the state, in the same browser (the cookie).
 */
import { randomUUID } from 'node:crypto';
import type { FakeSlack } from './fake-slack.js';

export const OAUTH_ENV = {
  SLACK_BOT_TOKEN: '', SLACK_CLIENT_ID: '1234567890.0987654321', SLACK_CLIENT_SECRET: '0123456789abcdef0123456789abcdef',
  SLACK_STATE_SECRET: 'MofXroxJxKycfueyEx+zN8tcc3q0YUjXEY31F1n8jGWi6OJshDY6hIoYAf23NosC',
};

/** The redirect's status and body after an install on `to`. */
export async function installThroughOAuth(base: string, slack: FakeSlack, to: { teamId?: string; enterpriseId?: string; orgWide?: boolean }): Promise<{ status: number; text: string }> {
  const start = await fetch(`${base}/slack/install`, { redirect: 'manual' });
  if (start.status !== 302) throw new Error(`/slack/install answered ${start.status}`);
  const cookie = start.headers.get('set-cookie')?.split(';')[0] ?? '';
  const location = new URL(start.headers.get('location')!);
  const state = location.searchParams.get('state')!;
  const code = `code-${randomUUID()}`;
  slack.authorizeCode(code, to);
  const done = await fetch(`${base}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, { headers: { cookie }, redirect: 'manual' });
  return { status: done.status, text: await done.text() };
}
