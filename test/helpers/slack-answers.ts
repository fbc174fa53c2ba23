/** The whole of an answer sent to a response_url: its text, then the mrkdwn of its blocks (a list page's lines). */
import type { TestApp } from './keywarden.js';

export async function answerWithBlocks(t: TestApp, responseId: string): Promise<string> {
  const call = await t.slack.waitFor('response_url', (c) => c.args.responseId === responseId);
  const blocks: any[] = Array.isArray(call.args.blocks) ? call.args.blocks : [];
  return [String(call.args.text ?? ''), ...blocks.map((b) => b.text?.text ?? '').filter(Boolean)].join('\n');
}
