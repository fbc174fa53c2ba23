/**
 * The Directory port on Slack: a user group's members from usergroups.users.list, kept for a few
 * minutes so that a burst of clicks and apply jobs asks Slack once (the method is Tier 2, about
 * 20 calls a minute). Concurrent reads of one group share one call. A failed call is not cached.
 *
 * Slack's subteam_members_changed reaches one web process, but every process (web and worker)
 * keeps its own copy. So each copy is kept under the group's *generation*, a value in Redis that
 * the process told of a change replaces, and every lookup reads the generation first: a copy
 * made under another generation is read again. A generation key read per lookup stays correct
 * where a pub/sub message would not: nothing is missed during a reconnect, because nothing is
 * delivered. A missing key (Redis emptied, or never set) is created with a fresh random value, so
 * a copy made before Redis lost its data never matches again. While Redis cannot be read, the
 * cache is dropped and Slack is asked every time (correct, if slower); a change that cannot be
 * written to Redis is written again until it is.
 */
import { randomUUID } from 'node:crypto';
import type { Directory } from '../app/ports/directory.js';
import { SlackRateLimitedError } from './slack-client.js';

/** The one call it makes; SlackClient and Bolt's WebClient both have this shape. */
export interface SlackUsergroups {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ users?: string[] }> } };
}

/** Where the generations live: a Redis client (ioredis) has this shape. */
export interface GenerationStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ex: 'EX', seconds: number): Promise<unknown>;
  set(key: string, value: string, ex: 'EX', seconds: number, nx: 'NX'): Promise<unknown>;
}

export const GROUP_CACHE_MS = 5 * 60_000;
/** A generation nobody changed for this long expires; the next read makes a new one (one extra Slack read). */
const GENERATION_TTL_S = 7 * 24 * 3600;
const REWRITE_EVERY_MS = 2000;

export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { members: string[]; at: number; generation: string }>();
  private readonly inFlight = new Map<string, Promise<string[]>>();
  /** Changes not yet written to Redis (it was unavailable): written again on a timer. */
  private readonly unwritten = new Set<string>();
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: SlackUsergroups,
    private readonly o: {
      generations: GenerationStore; prefix?: string; ttlMs?: number; now?: () => number; log?: { warn(o: object, m: string): void };
      /**
       * Paces the reads as Slack counts them (Tier 2, per Slack workspace: the outbound path's
       * count): resolves false when no turn is near, and is told of a 429 (`limited`).
       */
      pace?: { turn(): Promise<boolean>; limited(retryAfterSeconds: number): Promise<void> };
    },
  ) {}

  async groupMembers(groupId: string): Promise<string[]> {
    const generation = await this.generation(groupId);
    if (generation === null) {
      // Redis cannot say whether the group changed: no copy can be trusted, not even later ones.
      this.cache.clear();
      return this.read(groupId);
    }
    const now = this.now();
    const hit = this.cache.get(groupId);
    if (hit && hit.generation === generation && now - hit.at < (this.o.ttlMs ?? GROUP_CACHE_MS)) return hit.members;
    // A read started under an older generation may hold the members from before the change.
    const key = `${groupId}\n${generation}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const read = this.read(groupId)
      .then((members) => {
        this.cache.set(groupId, { members, at: now, generation });
        return members;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, read);
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

  /** The group changed: a new generation for every process, and this process's copy gone at once. */
  async forget(groupId: string): Promise<void> {
    this.cache.delete(groupId);
    if (!(await this.write(groupId))) {
      this.unwritten.add(groupId);
      this.retryLater();
    }
  }

  /** Stops the timer that writes changes Redis could not take. */
  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  private async read(groupId: string): Promise<string[]> {
    const res = await this.paced(() => this.client.usergroups.users.list({ usergroup: groupId }));
    return [...new Set(res.users ?? [])];
  }

  /** The group's generation, made if it has none; null when Redis cannot be read. */
  private async generation(groupId: string): Promise<string | null> {
    const { generations } = this.o;
    const key = this.key(groupId);
    try {
      const found = await generations.get(key);
      if (found !== null) return found;
      await generations.set(key, randomUUID(), 'EX', GENERATION_TTL_S, 'NX');
      return await generations.get(key);
    } catch {
      return null;
    }
  }

  private async write(groupId: string): Promise<boolean> {
    try {
      await this.o.generations.set(this.key(groupId), randomUUID(), 'EX', GENERATION_TTL_S);
      return true;
    } catch (err) {
      this.o.log?.warn({ err, group: groupId }, 'could not tell other processes that a user group changed; trying again');
      return false;
    }
  }

  private retryLater(): void {
    if (this.retry) return;
    this.retry = setTimeout(async () => {
      this.retry = null;
      for (const groupId of [...this.unwritten]) if (await this.write(groupId)) this.unwritten.delete(groupId);
      if (this.unwritten.size > 0) this.retryLater();
    }, REWRITE_EVERY_MS);
    this.retry.unref();
  }

  private key(groupId: string): string {
    return `${this.o.prefix ?? 'keywarden'}:group-generation:${groupId}`;
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }
}
