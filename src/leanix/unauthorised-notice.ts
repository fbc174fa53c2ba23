/**
 * When LeanIX stops taking a connection's API token, the workspace's notification channels are
 * told once, however many processes find it (each process's connection changes state on its own:
 * a claim in Redis decides who tells). A connection that works again gives the claim back, so a
 * later refusal is told again. Redis unable to answer: told anyway (twice beats never). Requests that need LeanIX fail with the same
 * reason meanwhile (permission-target.ts), and /readyz names it.
 */
import type { Clock, Log, Notifier, Store } from '../app/ports.js';
import type { Connected, LeanixConnections } from './connections.js';
import type { SyncState } from './sync-state.js';

type Claims = Pick<SyncState, 'claimNotice' | 'releaseNotice'>;

export function tellWhenUnauthorised(connections: LeanixConnections, deps: { store: Store; notifier: Notifier; log: Log; clock: Clock; claims: Claims }): () => void {
  const stops = connections.list().map((conn: Connected) => {
    const { state } = conn.client;
    const key = `unauthorised:${conn.workspaceId}`;
    return state.onChange((h) => {
      if (h.state !== 'unauthorised') {
        void deps.claims.releaseNotice(key).catch((err: unknown) => deps.log.warn({ err, workspace: conn.name }, 'could not give back the claim of the LeanIX token notice'));
        return;
      }
      void (async () => {
        const ws = await deps.store.workspaces.findById(conn.workspaceId);
        if (!ws) return;
        const mine = await deps.claims.claimNotice(key).catch((err: unknown) => {
          deps.log.warn({ err, workspace: conn.name }, 'could not claim the LeanIX token notice; telling anyway');
          return true;
        });
        if (!mine) {
          deps.log.debug({ workspace: conn.name }, 'LeanIX refuses the API token; another process has told the notification channels');
          return;
        }
        deps.log.error({ workspace: conn.name, reason: h.reason }, 'LeanIX refuses the API token');
        await deps.notifier.notifyChannels(ws, `:warning: Keywarden can no longer reach LeanIX for ${ws.name}: ${h.reason} Until then, approved changes to ${ws.name} fail instead of being made.`)
          .catch(async (err: unknown) => {
            await deps.claims.releaseNotice(key).catch(() => undefined); // the next refusal tells it
            throw err;
          });
      })().catch((err: unknown) => deps.log.error({ err, workspace: conn.name }, 'could not tell the notification channels that LeanIX refuses the API token'));
    });
  });
  return () => { for (const s of stops) s(); };
}
