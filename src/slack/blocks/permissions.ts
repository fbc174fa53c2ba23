import type { PermissionView } from '../../app/permissions.js';
import type { Workspace } from '../../domain/workspace.js';
import { linesWithin, typed } from './typed.js';

const MAX_LINES = 50;

/** The answer to `/permission list`: one line per user, capped so the message stays readable. */
export function permissionListText(ws: Workspace, views: PermissionView[], filterNote: string, lastSynced: Date | 'never' | null = null): string {
  // A connected workspace's list is its mirror of LeanIX: say how fresh it is (null: not connected).
  const synced = lastSynced === 'never' ? ' (mirror of LeanIX, not synced yet)'
    : lastSynced ? ` (mirror of LeanIX, last synced ${lastSynced.toISOString().slice(0, 16).replace('T', ' ')} UTC)` : '';
  if (views.length === 0) return `No permissions in ${typed(ws.name)}${filterNote}${synced}.`;
  const lines = views.slice(0, MAX_LINES).map(({ user, permission: p }) => {
    const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
    return `• ${typed(user.email)}${name ? ` (${typed(name)})` : ''}: ${p.role}, ${p.status}`;
  });
  // Within Slack's 40,000 characters at whole lines: an escaped email or name can be thousands.
  const unlisted = views.length - lines.length;
  const more = (n: number) => `…and ${n + unlisted} more; narrow it with a query.`;
  const shown = linesWithin(`*${views.length} permission${views.length === 1 ? '' : 's'} in ${typed(ws.name)}${filterNote}*${synced}`, lines, more, 39_900);
  return unlisted > 0 && !shown.endsWith(more(0).slice(-20)) ? `${shown}\n${more(0)}` : shown;
}
