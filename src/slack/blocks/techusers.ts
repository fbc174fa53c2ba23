/** Pure text and Block Kit builders for technical users, their history and token reveals. */
import type { types } from '@slack/bolt';
import { timeLeft } from '../../domain/expiry-warnings.js';
import type { HistoryEntry } from '../../domain/history.js';
import { describeActor } from '../../domain/history.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import { expiryDate, tokenName } from '../../domain/technical-user.js';
import type { Workspace } from '../../domain/workspace.js';
import { ids } from '../ids.js';
import type { OwnershipRecord } from '../../domain/ownership-review.js';
import { shortId } from './request.js';
import { linesWithin, plainText, section, typed } from './typed.js';
import { reviewBadge } from './reviews.js';

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function tokenState(t: TechnicalUser, now: Date): string {
  if (!t.token) return 'no token';
  if (t.token.revokedAt) return `${tokenName(t.token)} revoked (never revealed)`;
  const date = expiryDate(t.token.expiresAt);
  if (t.token.expiresAt <= now) return `${tokenName(t.token)} expired ${date}`;
  return `${tokenName(t.token)} expires ${date}${t.token.revealBy ? ', not yet revealed' : ''}`;
}

/** `owners`: each technical user's ownership record (its owner, and whether it went unreviewed). */
export function techUserListText(ws: Workspace, users: TechnicalUser[], now: Date, owners?: Map<string, OwnershipRecord>): string {
  if (users.length === 0) return `No technical users in ${typed(ws.name)}. Create one with \`/techuser create\`.`;
  const review = (t: TechnicalUser) => (owners ? `, ${reviewBadge(owners.get(t.id))}` : '');
  const lines = users.map((t) => `• *${typed(t.userName)}* (${t.role}): ${tokenState(t, now)}${review(t)}${t.description ? ` — ${typed(t.description)}` : ''}`);
  // Within Slack's 40,000 characters of message text, at whole lines (an escaped description can be 12,000).
  return linesWithin(`*${users.length} technical user${users.length === 1 ? '' : 's'} in ${typed(ws.name)}*`, lines, (n) => `…and ${n} more that do not fit in one message.`);
}

const fmt = (v: Record<string, unknown> | null) =>
  v && Object.keys(v).length ? Object.entries(v).map(([k, x]) => `${k}=${typed(Array.isArray(x) ? x.join(',') || '-' : String(x))}`).join(' ') : '';

export function historyText(userName: string, entries: HistoryEntry[]): string {
  if (entries.length === 0) return `No history for ${typed(userName)} yet.`;
  const lines = entries.map((e) => {
    const change = [fmt(e.before) && `from ${fmt(e.before)}`, fmt(e.after) && `to ${fmt(e.after)}`].filter(Boolean).join(' ');
    const approved = e.approvers.length ? `, approved by ${e.approvers.map((a) => `<@${a}>`).join(' and ')}` : '';
    const req = e.requestId ? ` (request ${shortId(e.requestId)})` : '';
    const why = e.reason ? ` — reason: ${typed(e.reason)}` : '';
    return `• ${e.at.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${e.action.replace('techuser.', '')} by ${describeActor(e.actor)}${approved}${req}${change ? `: ${change}` : ''}${why}`;
  });
  return linesWithin(`*History of ${typed(userName)}* (newest first)`, lines, (n) => `…and ${n} older entries that do not fit in one message (the audit API has them all).`);
}

/**
 * LeanIX's own changelog of a technical user, shown under Keywarden's lines: every change made
 * there, by Keywarden or by anyone else. Its words are LeanIX's (typed text, escaped).
 */
export function leanixChangelogText(lines: Array<{ type: string; at: Date | null; actor: string | null }> | string): string {
  if (typeof lines === 'string') return `*In LeanIX*: its changelog could not be read (${typed(lines)}).`;
  if (lines.length === 0) return '*In LeanIX*: no changelog entries.';
  const rows = lines.map((l) => `• ${l.at ? `${l.at.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'date unknown'} — ${typed(l.type)}${l.actor ? ` by ${typed(l.actor)}` : ''}`);
  // Beside Keywarden's own history in one message: a share of its 40,000 characters, at whole lines.
  return linesWithin('*In LeanIX* (its changelog, newest first)', rows, (n) => `…and ${n} more in LeanIX`, 6000);
}

/** The DM that carries the Reveal button: it names the technical user, never the token. */
export function revealBlocks(userName: string, requestId: string, revealBy: Date | null): types.KnownBlock[] {
  const deadline = revealBy ? ` Reveal it before <!date^${Math.floor(revealBy.getTime() / 1000)}^{date_short_pretty} {time}|${revealBy.toISOString()}>, or it will be revoked.` : '';
  return [
    section(`A new API token for technical user *${typed(userName)}* is ready. It is shown once, only to you.${deadline}`),
    {
      type: 'actions',
      block_id: 'reveal',
      elements: [{ type: 'button', action_id: ids.REVEAL, style: 'primary', value: requestId, text: plainText('Reveal token') }],
    },
  ];
}

/** The same DM after the reveal: the button is gone, the moment is recorded. */
export function revealedBlocks(userName: string, at: Date): types.KnownBlock[] {
  return [section(`The API token for technical user *${typed(userName)}* was revealed ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC. It cannot be shown again; rotate it if it is lost.`)];
}

/** Days an Extend click adds, from the current expiry date (or today, if that has passed). */
export const EXTEND_DAYS = 90;

/** An expiry warning for the notification channels, with buttons that open approval requests. */
export function expiryWarningBlocks(ws: Workspace, t: TechnicalUser, days: number, now: Date): { text: string; blocks: types.KnownBlock[] } {
  const expires = t.token!.expiresAt;
  const when = `${expiryDate(expires)} (${timeLeft(expires, now)})`;
  const text = days === 0
    ? `:x: The API token of technical user ${typed(t.userName)} (${t.role}) in ${typed(ws.name)} expired ${when}; integrations using it are refused.`
    : `:warning: The API token of technical user ${typed(t.userName)} (${t.role}) in ${typed(ws.name)} expires ${when}.`;
  return {
    text,
    blocks: [
      section(`${text}\n${capital(tokenName(t.token!))}. Either button opens a request for approval.`),
      {
        type: 'actions',
        block_id: 'expiry',
        elements: [
          { type: 'button', action_id: ids.ROTATE_TOKEN, value: t.id, text: { type: 'plain_text', text: 'Rotate token' } },
          { type: 'button', action_id: ids.EXTEND_TOKEN, value: t.id, style: 'primary', text: { type: 'plain_text', text: `Extend ${EXTEND_DAYS} days` } },
        ],
      },
    ],
  };
}
