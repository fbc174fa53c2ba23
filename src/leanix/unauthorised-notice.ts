/**
 * When LeanIX stops taking a connection's API token, the workspace's notification channels are
 * told, once per process and transition (the connection state changes once; a connection that
 * recovers and is refused again is told again). Requests that need LeanIX fail with the same
 * reason meanwhile (permission-target.ts), and /readyz names it.
 */
import type { Clock, Log, Notifier, Store } from '../app/ports.js';
import type { LeanixConnections } from './connections.js';

export function tellWhenUnauthorised(connections: LeanixConnections, deps: { store: Store; notifier: Notifier; log: Log; clock: Clock }): () => void {
  const stops = connections.list().map((conn) => conn.client.state.onChange((h) => {
    if (h.state !== 'unauthorised') return;
    void (async () => {
      const ws = await deps.store.workspaces.findById(conn.workspaceId);
      if (!ws) return;
      deps.log.error({ workspace: conn.name, reason: h.reason }, 'LeanIX refuses the API token');
      await deps.notifier.notifyChannels(ws, `:warning: Keywarden can no longer reach LeanIX for ${ws.name}: ${h.reason} Until then, approved changes to ${ws.name} fail instead of being made.`);
    })().catch((err: unknown) => deps.log.error({ err, workspace: conn.name }, 'could not tell the notification channels that LeanIX refuses the API token'));
  }));
  return () => { for (const s of stops) s(); };
}
