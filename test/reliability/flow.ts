/** Steps the reliability tests share: ask for a change through Slack, find it, wait for it. */
import { expect } from 'vitest';
import type { ChangeRequest } from '../../src/domain/request.js';
import { APPROVALS, ADMIN, type TestApp } from '../helpers/keywarden.js';

/** Polls `check` until it is true; fails with `what` after `ms`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: string | (() => string), ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function waitForStatus(t: TestApp, id: string, status: string, ms = 15_000): Promise<ChangeRequest> {
  let r: ChangeRequest | null = null;
  await waitUntil(async () => (r = await t.store.requests.findById(id))?.status === status, () => `request ${id} is ${status} (it is ${(r as ChangeRequest | null)?.status})`, ms);
  return r!;
}

/** Asks for a change with a slash command and returns the request id from the approval message's button. */
export async function ask(t: TestApp, text: string, command = '/permission', requester = ADMIN): Promise<string> {
  const sent = await t.command(requester, text, command);
  expect(sent.status).toBe(200);
  const reply = await t.answer(sent.responseId);
  expect(reply, text).toMatch(/sent to <#CAPPROVALS> for approval/);
  const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
  const post = await t.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(short));
  return post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
}

/** DMs to a user that mention a request (by its short id or in its blocks), delivered or not. */
export const dmsAbout = (t: TestApp, user: string, requestId: string) =>
  t.slack.callsTo('chat.postMessage').filter(
    (c) => !c.failed && c.args.channel === user && (String(c.args.text).includes(requestId.slice(0, 8)) || JSON.stringify(c.args.blocks ?? []).includes(requestId)),
  );

/** The structured log lines of a test app, parsed. */
export const logLines = (t: TestApp): Array<Record<string, any>> =>
  t.logs.lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, any>);
