/** What the sync job syncs: the connected workspaces as the store holds them, each with its shared client. */
import type { Store } from '../app/ports.js';
import type { LeanixConnections } from './connections.js';
import type { SyncTarget } from './sync.js';

/** The connected workspaces, each read through its shared client, as the sync job syncs them. */
export async function syncTargets(store: Store, connections: LeanixConnections): Promise<SyncTarget[]> {
  const out: SyncTarget[] = [];
  for (const c of connections.list()) {
    const workspace = await store.workspaces.findById(c.workspaceId);
    if (!workspace) continue; // retired: its mirror is left as it was
    out.push({ workspace, syncSeconds: c.settings.syncSeconds, reader: { permissions: () => c.client.listPermissions(), technicalUsers: () => c.client.listTechnicalUsers() } });
  }
  return out;
}
