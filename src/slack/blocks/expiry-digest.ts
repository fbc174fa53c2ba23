/** One message listing many expiring tokens of a channel, each with its own Rotate and Extend buttons. */
import type { types } from '@slack/bolt';
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { Workspace } from '../../domain/workspace.js';
import { expiryWarningBlocks } from './techusers.js';
import { section, typed } from './typed.js';

/** Two blocks a token plus a heading: 24 tokens fit in Slack's 50 blocks a message. */
export const DIGEST_TOKENS_PER_MESSAGE = 24;

export function expiryDigestBlocks(
  ws: Workspace, warnings: Array<{ tu: TechnicalUser; days: number }>, now: Date,
): { text: string; blocks: types.KnownBlock[] } {
  if (warnings.length > DIGEST_TOKENS_PER_MESSAGE) throw new Error(`a digest lists at most ${DIGEST_TOKENS_PER_MESSAGE} tokens`);
  const text = `:warning: ${warnings.length} API tokens in ${typed(ws.name)} expire soon or have expired.`;
  const blocks: types.KnownBlock[] = [section(`${text} Each button opens a request for approval.`)];
  for (const { tu, days } of warnings) {
    const [section, actions] = expiryWarningBlocks(ws, tu, days, now).blocks;
    // Block ids are unique within a message; the buttons carry the technical user's id anyway.
    blocks.push(section!, { ...(actions as types.ActionsBlock), block_id: `expiry-${tu.id}` });
  }
  return { text, blocks };
}
