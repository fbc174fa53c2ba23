/**
 * The People port on Slack: a user's email from users.info and the user behind an email from
 * users.lookupByEmail (both need users:read.email), cached in Redis for an hour so that every
 * process (web and workers) shares one copy, and a user_change event heard by the web process
 * forgets it for all of them. Redis unavailable: Slack is asked directly (a cache, not a truth).
 * A failed call is not cached: the next read asks again.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock, Log } from '../app/ports.js';
import type { People } from '../app/ports/people.js';
import { emailKey } from '../domain/user.js';
import { SlackPlatformError } from './slack-client.js';

/** The two calls it makes (SlackClient's shape). */
export interface SlackUsers {
  users: {
    info(args: { user: string }): Promise<{ user?: { profile?: { email?: string } } }>;
    lookupByEmail(args: { email: string }): Promise<{ user?: { id?: string } }>;
  };
}

export const PEOPLE_CACHE_MS = 3600_000;
const KEY = 'keywarden:people:';
const emailEntry = (id: string) => `${KEY}email:${id}`;
const userEntry = (email: string) => `${KEY}user:${emailKey(email)}`;

const Entry = z.object({ value: z.string().nullable(), at: z.number() });
type Entry = z.infer<typeof Entry>;

export class SlackPeople implements People {
  constructor(private readonly o: { client: SlackUsers; redis: Redis | null; clock: Clock; log: Log; ttlMs?: number }) {}

  async emailOf(slackUserId: string): Promise<string | null> {
    return this.cached(emailEntry(slackUserId), async () => {
      try {
        return (await this.o.client.users.info({ user: slackUserId })).user?.profile?.email ?? null;
      } catch (err) {
        // Not a user Slack knows: said plainly, not "Slack did not answer". Everything else is passing trouble.
        if (err instanceof SlackPlatformError && err.data.error === 'user_not_found') return null;
        throw err;
      }
    });
  }

  async userOf(email: string): Promise<string | null> {
    return this.cached(userEntry(email), async () => {
      try {
        const id = (await this.o.client.users.lookupByEmail({ email })).user?.id;
        // Shown as a mention: only an id of Slack's shape is taken.
        return id && /^[UW][A-Z0-9]{2,20}$/.test(id) ? id : null;
      } catch (err) {
        if (err instanceof SlackPlatformError && err.data.error === 'users_not_found') return null;
        throw err;
      }
    });
  }

  async forget(slackUserId: string, newEmail?: string | null): Promise<void> {
    const { redis } = this.o;
    if (!redis) return;
    const old = await this.read(emailEntry(slackUserId));
    const keys = [emailEntry(slackUserId), ...(old?.value ? [userEntry(old.value)] : []), ...(newEmail ? [userEntry(newEmail)] : [])];
    await redis.del(...keys).catch((err: unknown) => this.o.log.warn({ err }, 'could not forget a Slack user in the cache'));
  }

  private async cached(key: string, ask: () => Promise<string | null>): Promise<string | null> {
    const now = this.o.clock.now().getTime();
    const ttl = this.o.ttlMs ?? PEOPLE_CACHE_MS;
    const hit = await this.read(key);
    if (hit && now - hit.at >= 0 && now - hit.at < ttl) return hit.value;
    const value = await ask();
    // PX is a backstop for the store; freshness is judged by the injected clock above.
    await this.o.redis?.set(key, JSON.stringify({ value, at: now } satisfies Entry), 'PX', ttl).catch(() => undefined);
    return value;
  }

  private async read(key: string): Promise<Entry | null> {
    try {
      const raw = await this.o.redis?.get(key);
      if (!raw) return null;
      const e = Entry.safeParse(JSON.parse(raw));
      return e.success ? e.data : null;
    } catch {
      return null;
    }
  }
}
