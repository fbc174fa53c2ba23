/**
 * Shared by the small Redis-backed guards of the web edge (rate limits, replayed Slack
 * signatures): they keep their state in Redis so every web process sees the same counts, and
 * when Redis cannot be reached they let the request through rather than refuse everyone. That
 * is a choice: an outage of Redis must not stop approvals or token exchanges, and what still
 * holds without it (signatures and their 5-minute window, token hashes) is what security rests
 * on. The outage is logged, once a minute at most.
 */
import type { Log } from '../app/ports.js';

export class FailOpen {
  private lastWarnedAt = 0;

  constructor(
    private readonly log: Log,
    private readonly what: string,
  ) {}

  /** Logs (at most once a minute) that `what` is not enforced because Redis failed. */
  allowed(err: unknown): true {
    const now = Date.now();
    if (now - this.lastWarnedAt >= 60_000) {
      this.lastWarnedAt = now;
      this.log.warn({ err: err instanceof Error ? err.message : String(err), guard: this.what }, 'redis unavailable; letting requests through unchecked');
    }
    return true;
  }
}
