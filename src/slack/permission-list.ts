/**
 * One page of `/permission list`, for the command (page 1) and for its Previous/Next buttons: the
 * workspace's permissions matching the filter, by email, LIST_PAGE_SIZE at a time. A page past
 * the end (the list shrank since the button was drawn) shows the last one.
 */
import type { types } from '@slack/bolt';
import { Codes, DomainError } from '../domain/errors.js';
import type { PermissionStatus } from '../domain/permission.js';
import type { Workspace } from '../domain/workspace.js';
import { isAdmin, isApprover, isConnected } from '../domain/workspace.js';
import { permissionListPage } from './blocks/permissions.js';
import type { SlackDeps } from './deps.js';
import { LIST_PAGE_SIZE } from './permission-pages.js';

/** Admins and approvers may list a workspace's permissions; anyone else is told so. */
export function mayList(ws: Workspace, user: string): void {
  if (!isAdmin(ws, user) && !isApprover(ws, user)) {
    throw new DomainError(Codes.NOT_ADMIN, `Only admins and approvers of ${ws.name} can list permissions.`);
  }
}

export async function permissionListAnswer(
  deps: Pick<SlackDeps, 'permissions' | 'mirror'>, ws: Workspace, filter: { query?: string; status?: PermissionStatus }, page: number,
): Promise<{ text: string; blocks: types.KnownBlock[] }> {
  // Read, filtered and sorted whole at each page (the query matches names, emails, roles and
  // statuses across two collections, which a store page could not): in the memory store a page
  // over 10,000 permissions answers in about 100 ms (test/slack/permission-list-flow.test.ts:
  // a command and two clicks in ~360 ms); the answer goes to the response_url, after the ack.
  const views = await deps.permissions.list(ws.id, filter);
  const pages = Math.max(1, Math.ceil(views.length / LIST_PAGE_SIZE));
  const shown = Math.min(page, pages);
  // A connected workspace's list is its mirror: said, with how fresh it is.
  const synced = isConnected(ws) && deps.mirror ? ((await deps.mirror.state.lastSynced(ws.id).catch(() => null)) ?? 'never') : null;
  return permissionListPage(ws, {
    views: views.slice((shown - 1) * LIST_PAGE_SIZE, shown * LIST_PAGE_SIZE), total: views.length, page: shown, pages, filter,
  }, synced);
}
