/**
 * Searching a workspace's people as one types (the `/permission role` form's person picker).
 *
 * Slack waits 3 seconds for the options and asks again at every keystroke, so each search must not
 * read 10,000 permissions and users from the store: the workspace's people are read once into a
 * PeopleIndex (domain/people-index.ts) kept in memory per process. An index older than `ttlMs` is
 * still answered from, and rebuilt in the background (one rebuild at a time per workspace), so a
 * person invited a minute ago is found after at most one more keystroke past the TTL. Opening the
 * form warms the index, so the first keystroke rarely waits for the store.
 */
import type { PermissionView } from './permissions.js';
import type { Clock, Log } from './ports.js';
import { PeopleIndex, type PeopleMatches, type Person } from '../domain/people-index.js';

export interface PeopleSearchOptions {
  /** How old an index may be before it is rebuilt (in the background). */
  ttlMs: number;
  /**
   * How long a search may take before it answers nothing (searchWithin): half of Slack's 3
   * seconds, so the empty answer still arrives in time on a busy host.
   */
  boundMs: number;
}

interface Entry {
  index: PeopleIndex | null;
  builtAt: number;
  building: Promise<PeopleIndex> | null;
}

export class PeopleSearch {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: PeopleSearchOptions;

  constructor(
    private readonly deps: {
      /** The workspace's permissions with their users (PermissionService.list). */
      load: (workspaceId: string) => Promise<PermissionView[]>;
      clock: Clock;
      log: Log;
    },
    opts: Partial<PeopleSearchOptions> = {},
  ) {
    this.opts = { ttlMs: 60_000, boundMs: 1500, ...opts };
  }

  /** The people of the workspace matching `query`, at most `limit` of them. */
  async search(workspaceId: string, query: string, limit: number): Promise<PeopleMatches> {
    return (await this.index(workspaceId)).search(query, limit);
  }

  /** As search, but null when it takes longer than `boundMs` (the index is still built, for the next keystroke). */
  async searchWithin(workspaceId: string, query: string, limit: number): Promise<PeopleMatches | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.opts.boundMs);
    });
    try {
      return await Promise.race([this.search(workspaceId, query, limit), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts building (or refreshing) the workspace's index without waiting for it. */
  warm(workspaceId: string): void {
    this.index(workspaceId).catch(() => undefined); // logged in build()
  }

  private index(workspaceId: string): Promise<PeopleIndex> {
    const entry = this.entries.get(workspaceId) ?? { index: null, builtAt: 0, building: null };
    this.entries.set(workspaceId, entry);
    const stale = this.deps.clock.now().getTime() - entry.builtAt >= this.opts.ttlMs;
    if (stale && !entry.building) {
      entry.building = this.build(workspaceId, entry);
      // Awaited only by a first search; a background rebuild's failure is logged in build().
      entry.building.catch(() => undefined);
    }
    // A stale index answers while the new one is built; only the first search waits.
    return entry.index ? Promise.resolve(entry.index) : entry.building!;
  }

  private async build(workspaceId: string, entry: Entry): Promise<PeopleIndex> {
    try {
      const views = await this.deps.load(workspaceId);
      const index = new PeopleIndex(views.map(toPerson));
      entry.index = index;
      entry.builtAt = this.deps.clock.now().getTime();
      return index;
    } catch (err) {
      this.deps.log.warn({ err, workspaceId }, 'could not read the people of a workspace for its person picker');
      throw err;
    } finally {
      entry.building = null;
    }
  }
}

const toPerson = ({ user, permission }: PermissionView): Person => ({
  userId: user.id, email: user.email, firstName: user.firstName, lastName: user.lastName, userName: user.userName,
  note: `${permission.role}, ${permission.status}`,
});
