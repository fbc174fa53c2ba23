/**
 * Drift as people read it: a change found in LeanIX that Keywarden did not make. Told at once in
 * the notification channels when it raises access, in one daily digest otherwise, and listed by
 * `/permission drift`. Everything that came from LeanIX (emails, user names, labels) is typed
 * text: escaped first, clipped after.
 */
import type { types } from '@slack/bolt';
import type { HistoryEntry } from '../../domain/history.js';
import { describeDrift } from '../../domain/mirror.js';
import type { Workspace } from '../../domain/workspace.js';
import { clipMrkdwn, context, messageText, section, typed } from './typed.js';

/** One section a line, a heading and a footer: 48 lines fit in Slack's 50 blocks a message. */
export const DRIFT_LINES_PER_MESSAGE = 48;
/** `/permission drift` answers with text; this many lines of at most 900 characters keep it inside 40,000. */
export const DRIFT_LISTED = 40;

const what = (e: HistoryEntry) => (e.subject.type === 'permission' ? 'permission of' : 'technical user');

/** "• 2026-12-07 14:05 UTC permission of jane@x.de: role MEMBER → ADMIN" */
export function driftLine(e: HistoryEntry, max = 2900): string {
  const at = e.at.toISOString().slice(0, 16).replace('T', ' ');
  return clipMrkdwn(`• ${at} UTC ${what(e)} *${typed(e.subject.label)}*: ${typed(describeDrift(e.before, e.after))}`, max);
}

/** At once: changes that raise access, found by the sync. */
export function driftNowBlocks(ws: Workspace, entries: HistoryEntry[]): { text: string; blocks: types.KnownBlock[] } {
  const text = `:rotating_light: Changed in LeanIX outside Keywarden (${ws.name}), raising access`;
  return blocksOf(text, entries, 'Keywarden has taken the change into its records; it did not undo it. If it was not meant, ask for the change back with /permission or /techuser.');
}

/** The day's other drift, in parts of at most DRIFT_LINES_PER_MESSAGE lines. */
export function driftDigestBlocks(ws: Workspace, day: string, entries: HistoryEntry[], part: number, parts: number): { text: string; blocks: types.KnownBlock[] } {
  const of = parts > 1 ? ` (part ${part} of ${parts})` : '';
  const text = `Changed in LeanIX outside Keywarden on ${day} (${ws.name}): ${entries.length} change${entries.length === 1 ? '' : 's'}${of}`;
  return blocksOf(text, entries, 'None of these raised access. `/permission drift` lists the last 30 days.');
}

function blocksOf(text: string, entries: HistoryEntry[], footer: string): { text: string; blocks: types.KnownBlock[] } {
  if (entries.length > DRIFT_LINES_PER_MESSAGE) throw new Error(`a drift message lists at most ${DRIFT_LINES_PER_MESSAGE} changes`);
  return {
    text,
    blocks: [
      section(`*${text}*`),
      ...entries.map((e): types.KnownBlock => section(driftLine(e))),
      context(footer),
    ],
  };
}

/** The answer to `/permission drift [page]`: newest first, DRIFT_LISTED a page. */
export function driftListText(ws: Workspace, entries: HistoryEntry[], page: number, more: boolean, lastSynced: Date | null): string {
  const synced = lastSynced ? `last synced ${lastSynced.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'not synced yet';
  if (entries.length === 0) return page === 1 ? `No changes outside Keywarden in ${ws.name} in the last 30 days (${synced}).` : `No more changes outside Keywarden in ${ws.name}.`;
  const next = more ? `\n…more: \`/permission drift ${page + 1}\`` : '';
  return messageText(`*Changed in LeanIX outside Keywarden, last 30 days, ${ws.name}* (page ${page}, ${synced})\n${entries.map((e) => driftLine(e, 900)).join('\n')}${next}`);
}
