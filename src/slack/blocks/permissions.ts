import type { PermissionView } from '../../app/permissions.js';
import type { Workspace } from '../../domain/workspace.js';
import { typed } from './typed.js';

const MAX_LINES = 50;

/** The answer to `/permission list`: one line per user, capped so the message stays readable. */
export function permissionListText(ws: Workspace, views: PermissionView[], filterNote: string, lastSynced: Date | 'never' | null = null): string {
  // A connected workspace's list is its mirror of LeanIX: say how fresh it is (null: not connected).
  const synced = lastSynced === 'never' ? ' (mirror of LeanIX, not synced yet)'
    : lastSynced ? ` (mirror of LeanIX, last synced ${lastSynced.toISOString().slice(0, 16).replace('T', ' ')} UTC)` : '';
  if (views.length === 0) return `No permissions in ${ws.name}${filterNote}${synced}.`;
  const lines = views.slice(0, MAX_LINES).map(({ user, permission: p }) => {
    const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
    return `• ${typed(user.email)}${name ? ` (${typed(name)})` : ''}: ${p.role}, ${p.status}`;
  });
  const more = views.length > MAX_LINES ? `\n…and ${views.length - MAX_LINES} more; narrow it with a query.` : '';
  return `*${views.length} permission${views.length === 1 ? '' : 's'} in ${ws.name}${filterNote}*${synced}\n${lines.join('\n')}${more}`;
}
