/**
 * The Directory port on Slack: a user group's members from usergroups.users.list, kept for a few
 * minutes so that a burst of clicks and apply jobs asks Slack once (the method is Tier 2, about
 * 20 calls a minute), and forgotten when Slack says the group changed (subteam_members_changed,
 * which reaches the web process; a worker's copy is at most `ttlMs` old). Concurrent reads of one
 * group share one call. A failed call is not cached: the next read asks again.
 */
import type { Directory } from '../app/ports/directory.js';
import { SlackRateLimitedError } from './slack-client.js';

/** The one call it makes; SlackClient and Bolt's WebClient both have this shape. */
export interface SlackUsergroups {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ users?: string[] }> } };
}

export const GROUP_CACHE_MS = 5 * 60_000;

export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { members: string[]; at: number; generation: number }>();
  private readonly inFlight = new Map<string, Promise<string[]>>();
  /** Bumped by forget(): a read that started before the change is not cached after it. */
  private generation = 0;

  constructor(
    private readonly client: SlackUsergroups,
    private readonly o: {
      ttlMs?: number; now?: () => number;
      /**
       * Paces the reads as Slack counts them (Tier 2, per Slack workspace: the outbound path's
       * count): resolves false when no turn is near, and is told of a 429 (`limited`).
       */
      pace?: { turn(): Promise<boolean>; limited(retryAfterSeconds: number): Promise<void> };
    } = {},
  ) {}

  async groupMembers(groupId: string): Promise<string[]> {
    const now = this.now();
    const hit = this.cache.get(groupId);
    if (hit && now - hit.at < (this.o.ttlMs ?? GROUP_CACHE_MS)) return hit.members;
    const running = this.inFlight.get(groupId);
    if (running) return running;
    const generation = this.generation;
    const read = this.paced(() => this.client.usergroups.users.list({ usergroup: groupId }))
      .then((res) => {
        const members = [...new Set(res.users ?? [])];
        if (generation === this.generation) this.cache.set(groupId, { members, at: now, generation });
        return members;
      })
      .finally(() => this.inFlight.delete(groupId));
    this.inFlight.set(groupId, read);
    return read;
  }

  private async paced<T>(call: () => Promise<T>): Promise<T> {
    const { pace } = this.o;
    if (pace && !(await pace.turn())) throw new Error('Slack is limiting usergroups.users.list; no turn within the wait');
    try {
      return await call();
    } catch (err) {
      if (pace && err instanceof SlackRateLimitedError) await pace.limited(err.retryAfter);
      throw err;
    }
  }

  forget(groupId: string): void {
    this.generation++;
    this.cache.delete(groupId);
    this.inFlight.delete(groupId);
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }
}
