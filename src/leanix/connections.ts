/**
 * The LeanIX connections of one process: one LeanixClient per connected workspace, made at start
 * from the workspaces' `leanix` settings and the API tokens in the variables those settings name.
 * A variable that is missing or empty stops the start with one line naming it. The clients (and
 * so the access tokens and the unauthorised state) are shared by every part of the process.
 */
import type { Clock, Log } from '../app/ports.js';
import { ConfigError } from '../config.js';
import type { LeanixConnection } from '../domain/leanix-connection.js';
import type { Workspace } from '../domain/workspace.js';
import { LeanixClient } from './client.js';
import type { ConnectionHealth } from './connection-state.js';
import type { LeanixCallObserver, LeanixHttpOptions } from './http.js';

/** Transport settings tests and benchmarks change (the fake's fetch, short timeouts, a sleep that moves their clock). */
export type LeanixTransportOptions = Partial<Pick<LeanixHttpOptions, 'fetch' | 'sleep' | 'timeoutMs' | 'retries' | 'backoffMs' | 'maxBackoffMs' | 'maxRetryAfterMs' | 'observer'>>;

export interface Connected {
  workspaceId: string;
  name: string;
  settings: LeanixConnection;
  client: LeanixClient;
}

export class LeanixConnections {
  private readonly byWorkspace = new Map<string, Connected>();

  /**
   * Opens a client for every connected workspace. Throws a ConfigError (one line) when a token
   * variable is missing or empty, before anything is sent anywhere.
   */
  static open(
    workspaces: ReadonlyArray<Pick<Workspace, 'id' | 'name' | 'leanix'>>,
    variable: (name: string) => string | undefined,
    deps: { clock: Clock; log: Log; transport?: LeanixTransportOptions; observe?: (workspace: string) => LeanixCallObserver },
  ): LeanixConnections {
    const out = new LeanixConnections();
    for (const ws of workspaces) {
      const settings = ws.leanix;
      if (!settings) continue;
      const token = variable(settings.apiTokenEnv)?.trim();
      if (!token) {
        throw new ConfigError(`Invalid configuration: ${settings.apiTokenEnv} is required (workspace ${ws.name} is connected to LeanIX and its leanix.apiTokenEnv names it; put an ADMIN technical user's API token there)`);
      }
      const client = new LeanixClient({
        baseUrl: settings.baseUrl, workspaceId: settings.workspaceId, apiToken: token,
        clock: deps.clock, log: deps.log.child({ leanix: ws.name }), ...deps.transport,
        // The calls' metrics are labelled with the workspace; the transport's own observer (tests) wins.
        ...(deps.observe && !deps.transport?.observer && { observer: deps.observe(ws.name) }),
      });
      out.byWorkspace.set(ws.id, { workspaceId: ws.id, name: ws.name, settings, client });
    }
    return out;
  }

  /** The connection of a Keywarden workspace, or null when it is not connected. */
  get(workspaceId: string): Connected | null {
    return this.byWorkspace.get(workspaceId) ?? null;
  }

  list(): Connected[] {
    return [...this.byWorkspace.values()];
  }

  /** Each connection's health by workspace name, for /readyz. */
  health(): Record<string, ConnectionHealth> {
    return Object.fromEntries(this.list().map((c) => [c.name, c.client.health]));
  }

  get size(): number {
    return this.byWorkspace.size;
  }
}
