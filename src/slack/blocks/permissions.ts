/**
 * The answer to `/permission list`: one page of a workspace's permissions, with Previous and Next
 * buttons that carry the filter and the page (slack/permission-pages.ts). A page is LIST_PAGE_SIZE
 * lines, each line's typed parts clipped, so a page of the worst typed emails and names stays
 * within one message's 50 blocks and 40,000 characters whatever the workspace's size.
 */
import type { types } from '@slack/bolt';
import type { PermissionView } from '../../app/permissions.js';
import type { PermissionStatus } from '../../domain/permission.js';
import type { Workspace } from '../../domain/workspace.js';
import { ids } from '../ids.js';
import { encodeListPage, LIST_PAGE_SIZE } from '../permission-pages.js';
import { context, messageText, plainText, section, SLACK_LIMITS, typedClipped } from './typed.js';

export interface PermissionListPage {
  /** This page's permissions. */
  views: PermissionView[];
  /** How many match the filter in all. */
  total: number;
  page: number;
  pages: number;
  filter: { query?: string; status?: PermissionStatus };
}

const line = ({ user, permission: p }: PermissionView) => {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return `• ${typedClipped(user.email, 600)}${name ? ` (${typedClipped(name, 400)})` : ''}: ${p.role}, ${p.status}`;
};

/** Lines gathered into sections of at most 3,000 characters, whole lines each. */
function sections(lines: string[]): types.KnownBlock[] {
  const out: string[] = [];
  for (const l of lines) {
    const last = out.length - 1;
    if (last >= 0 && out[last]!.length + 1 + l.length <= SLACK_LIMITS.section) out[last] += `\n${l}`;
    else out.push(l);
  }
  return out.map((text) => section(text));
}

export function permissionListPage(ws: Workspace, p: PermissionListPage, lastSynced: Date | 'never' | null = null): { text: string; blocks: types.KnownBlock[] } {
  const note = [p.filter.query && ` matching "${typedClipped(p.filter.query, 1000)}"`, p.filter.status && ` with status ${p.filter.status}`].filter(Boolean).join('');
  // A connected workspace's list is its mirror of LeanIX: say how fresh it is (null: not connected).
  const synced = lastSynced === 'never' ? ' (mirror of LeanIX, not synced yet)'
    : lastSynced ? ` (mirror of LeanIX, last synced ${lastSynced.toISOString().slice(0, 16).replace('T', ' ')} UTC)` : '';
  const name = typedClipped(ws.name, 500);
  if (p.total === 0) {
    const text = messageText(`No permissions in ${name}${note}${synced}.`);
    return { text, blocks: [section(text)] };
  }
  const count = `${p.total} permission${p.total === 1 ? '' : 's'} in ${name}${note}`;
  const where = p.pages > 1 ? ` · page ${p.page} of ${p.pages}` : '';
  const blocks: types.KnownBlock[] = [section(`*${count}*${synced}${where}`), ...sections(p.views.map(line))];
  if (p.pages > 1) {
    const value = (page: number) => encodeListPage({ w: ws.id, ...(p.filter.query && { q: p.filter.query }), ...(p.filter.status && { s: p.filter.status }), p: page });
    const buttons: types.Button[] = [];
    if (p.page > 1) buttons.push({ type: 'button', action_id: ids.PERMISSION_LIST_PREVIOUS, text: plainText('Previous', SLACK_LIMITS.button), value: value(p.page - 1) });
    if (p.page < p.pages) buttons.push({ type: 'button', action_id: ids.PERMISSION_LIST_NEXT, text: plainText('Next', SLACK_LIMITS.button), value: value(p.page + 1) });
    blocks.push({ type: 'actions', block_id: 'permission_list_pages', elements: buttons });
    const first = (p.page - 1) * LIST_PAGE_SIZE + 1;
    blocks.push(context(`${first}-${first + p.views.length - 1} of ${p.total}, by email. Narrow it with a query: \`/permission list jane\`.`));
  }
  return { text: messageText(`${count}${where}`), blocks };
}
