/**
 * When each technical user's API token was last exchanged, for its owner's review ("last used").
 * The exchange is the API's hottest path (thousands a second), so this writes at most once per
 * technical user per minute: a per-process memory of the last write skips the store entirely
 * within the minute, and the store's write is itself conditional on the stored moment being a
 * minute old, so several processes together still write about once a minute each technical user.
 */
import type { Clock, Log, Store } from './ports.js';

export const LAST_USED_RESOLUTION_MS = 60_000;
/** Bounds the per-process memory; past it, it starts again (costing at most one extra write each). */
const REMEMBERED = 50_000;

export class LastUsedRecorder {
  private readonly written = new Map<string, number>();

  constructor(private readonly deps: { store: Store; clock: Clock; log: Log }) {}

  /** Notes a use at `at`. Never throws: bookkeeping must not fail an exchange. */
  async used(technicalUserId: string, at: Date): Promise<void> {
    const last = this.written.get(technicalUserId);
    if (last !== undefined && at.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    if (this.written.size >= REMEMBERED) this.written.clear();
    this.written.set(technicalUserId, at.getTime());
    try {
      await this.deps.store.ownership.touchLastUsed(technicalUserId, at, new Date(at.getTime() - LAST_USED_RESOLUTION_MS));
    } catch (err) {
      this.deps.log.warn({ err, technicalUserId }, 'could not record when a technical user was last used');
    }
  }
}
