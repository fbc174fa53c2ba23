/**
 * What the sync keeps between runs, in Redis beside the queues (so every web and worker process
 * sees it): when each workspace was last synced, the claim that makes a workspace sync once per
 * `syncSeconds` however many workers run, and the claim of each day's drift digest. None of it is
 * a record: a Redis that comes back empty only makes the next sync come sooner and "last synced"
 * read "not yet" until it has run. Times are the injected clock's, never Redis's.
 */
import type { Redis } from 'ioredis';

export interface SyncState {
  /**
   * True for exactly one caller per `everyMs` per workspace: the one that may sync it now. Taken
   * when no sync started within the last `everyMs` (by the clock passed in).
   */
  claimSync(workspaceId: string, now: Date, everyMs: number): Promise<boolean>;
  /** The sync of the workspace finished at `at`. */
  synced(workspaceId: string, at: Date): Promise<void>;
  lastSynced(workspaceId: string): Promise<Date | null>;
  /** True for exactly one caller per workspace and UTC day (`2026-12-07`): the one that sends the digest. */
  claimDigest(workspaceId: string, day: string): Promise<boolean>;
  /** True for exactly one caller per drift (its history line id): the one that tells it at once. */
  claimNotice(driftId: string): Promise<boolean>;
  releaseNotice(driftId: string): Promise<void>;
  /** Gives the day's digest back (it could not be sent), so the next sync sends it. */
  releaseDigest(workspaceId: string, day: string): Promise<void>;
}

// Compare-and-set on the last start: a sync of this workspace may start when none started within
// `every` ms of `now`. One round trip, atomic in Redis, so two workers never both win.
const CLAIM = `
local last = redis.call('GET', KEYS[1])
if last and tonumber(ARGV[1]) < tonumber(last) + tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

const DAY_MS = 86_400_000;

export class RedisSyncState implements SyncState {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(what: string, workspaceId: string) {
    return `${this.prefix}:leanix:${what}:${workspaceId}`;
  }

  async claimSync(workspaceId: string, now: Date, everyMs: number): Promise<boolean> {
    // Kept a little past the interval, so an abandoned key does not outlive its use.
    const won = await this.redis.eval(CLAIM, 1, this.key('started', workspaceId), now.getTime(), everyMs, everyMs + DAY_MS);
    return won === 1;
  }

  async synced(workspaceId: string, at: Date): Promise<void> {
    await this.redis.set(this.key('synced', workspaceId), String(at.getTime()));
  }

  async lastSynced(workspaceId: string): Promise<Date | null> {
    const v = await this.redis.get(this.key('synced', workspaceId));
    return v && /^\d+$/.test(v) ? new Date(Number(v)) : null;
  }

  async claimDigest(workspaceId: string, day: string): Promise<boolean> {
    return (await this.redis.set(this.key('digest', `${workspaceId}:${day}`), '1', 'PX', 3 * DAY_MS, 'NX')) === 'OK';
  }

  async claimNotice(driftId: string): Promise<boolean> {
    // Kept past the day in which a stopped process's drift is finished by the next sync (sync.ts).
    return (await this.redis.set(this.key('told', driftId), '1', 'PX', 3 * DAY_MS, 'NX')) === 'OK';
  }

  async releaseNotice(driftId: string): Promise<void> {
    await this.redis.del(this.key('told', driftId));
  }

  async releaseDigest(workspaceId: string, day: string): Promise<void> {
    await this.redis.del(this.key('digest', `${workspaceId}:${day}`));
  }
}
