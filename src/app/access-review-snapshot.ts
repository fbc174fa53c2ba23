/**
 * A campaign's items: the permissions it covers when it starts, each with how and when its holder
 * got the role (the request, who asked, who approved: the newest history line that set it) and any
 * active grant. Written in chunks, each insert skipping items already stored, so a start cut short
 * (a worker stopped) is finished by running it again; the order (by email) is the same each time.
 */
import { covers, itemId, type Campaign, type CampaignItem, type RoleOrigin } from '../domain/access-review.js';
import type { HistoryEntry } from '../domain/history.js';
import type { Permission } from '../domain/permission.js';
import { emailKey } from '../domain/user.js';
import type { Store } from './ports.js';

const CHUNK = 500;
/** History lines read per permission to find where its role came from. */
const ORIGIN_LINES = 50;

/** Stores the campaign's items; returns how many it has. */
export async function snapshot(store: Store, c: Campaign): Promise<number> {
  const covered = (await store.permissions.list(c.workspaceId)).filter((p) => covers(c.definition, p));
  const users = new Map<string, { email: string; name: string }>();
  for (let i = 0; i < covered.length; i += CHUNK) {
    for (const u of await store.users.findByIds(covered.slice(i, i + CHUNK).map((p) => p.userId))) {
      users.set(u.id, { email: u.email, name: [u.firstName, u.lastName].filter(Boolean).join(' ') });
    }
  }
  const rows = covered
    .flatMap((p) => {
      const u = users.get(p.userId);
      return u ? [{ p, u }] : [];
    })
    .sort((a, b) => (emailKey(a.u.email) < emailKey(b.u.email) ? -1 : emailKey(a.u.email) > emailKey(b.u.email) ? 1 : a.p.id.localeCompare(b.p.id)));
  for (let i = 0; i < rows.length; i += CHUNK) {
    const items: CampaignItem[] = [];
    for (const [n, { p, u }] of rows.slice(i, i + CHUNK).entries()) {
      const lines = await store.history.listBySubject('permission', p.id, ORIGIN_LINES);
      items.push({
        id: itemId(c.id, p.id), campaignId: c.id, workspaceId: c.workspaceId, seq: i + n + 1,
        permissionId: p.id, userId: p.userId, email: u.email, name: u.name, role: p.role, status: p.status, lastLogin: p.lastLogin,
        origin: originOf(p, lines), grant: p.grant ? { until: p.grant.until, requestId: p.grant.requestId } : null,
        decision: null, version: 0,
      });
    }
    await store.accessReviews.insertItems(items);
  }
  return rows.length;
}

/** The newest line that gave the permission its current role (an invitation, or a role change); null when history does not say (seeded). */
export function originOf(p: Pick<Permission, 'role'>, newestFirst: HistoryEntry[]): RoleOrigin | null {
  const line = newestFirst.find((e) => e.action === 'permission.invited' || (e.after && e.after['role'] === p.role));
  if (!line) return null;
  return { at: line.at, requestId: line.requestId, requester: line.actor.type === 'slack' ? line.actor.id : null, approvers: line.approvers };
}
