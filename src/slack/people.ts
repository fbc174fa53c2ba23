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
import { slackContext } from './installations/context.js';

/** The two calls it makes (SlackClient's shape). */
export interface SlackUsers {
  users: {
    info(args: { user: string }): Promise<{ user?: { profile?: { email?: string } } }>;
    lookupByEmail(args: { email: string }): Promise<{ user?: { id?: string } }>;
  };
}

export const PEOPLE_CACHE_MS = 3600_000;
/**
 * How long a cache read or write may take. A Redis that accepts connections but never answers
 * must not hold a click: past this the cache is passed by and Slack is asked (or nothing kept).
 */
const CACHE_TIMEOUT_MS = 250;

/** `p`, or null once `ms` have passed (the operation may still finish later; nobody waits for it). */
function bounded<T>(p: Promise<T>, ms = CACHE_TIMEOUT_MS): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
const KEY = 'keywarden:people:';
const emailEntry = (id: string) => `${KEY}email:${id}`;
/**
 * Who an email is, per Slack organisation (Enterprise Grid: one user across its workspaces) or
 * else per Slack workspace: in two separate Slack workspaces one email is two different users,
 * and a DM to the other one's id would not arrive. The workspace is the call's (context.ts).
 */
const userEntry = (email: string) => {
  const c = slackContext.current();
  return `${KEY}user:${c?.enterpriseId ?? c?.teamId ?? '-'}:${emailKey(email)}`;
};

const Entry = z.object({ value: z.string().nullable(), at: z.number() });
type Entry = z.infer<typeof Entry>;

export class SlackPeople implements People {
  /** Concurrent reads of one key share one call: a burst of clicks by one approver asks Slack once. */
  private readonly inFlight = new Map<string, Promise<string | null>>();

  constructor(private readonly o: { client: SlackUsers; redis: Redis | null; clock: Clock; log: Log; ttlMs?: number }) {}

  async emailOf(slackUserId: string): Promise<string | null> {
    return this.cached(emailEntry(slackUserId), async () => {
      try {
        const email = (await this.o.client.users.info({ user: slackUserId })).user?.profile?.email ?? null;
        // Learnt both ways: the next approval message about this email can name them without a call.
        if (email) await this.write(userEntry(email), slackUserId);
        return email;
      } catch (err) {
        // Not a user Slack knows: said plainly, not "Slack did not answer". Everything else is passing trouble.
        if (err instanceof SlackPlatformError && err.data.error === 'user_not_found') return null;
        throw err;
      }
    });
  }

  async userOf(email: string, o: { cachedOnly?: boolean } = {}): Promise<string | null> {
    if (o.cachedOnly) {
      const hit = await this.read(userEntry(email));
      return hit && this.fresh(hit) ? hit.value : null;
    }
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
    await bounded(redis.del(...keys)).catch((err: unknown) => this.o.log.warn({ err }, 'could not forget a Slack user in the cache'));
  }

  private cached(key: string, ask: () => Promise<string | null>): Promise<string | null> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const read = this.read1(key, ask).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, read);
    return read;
  }

  private async read1(key: string, ask: () => Promise<string | null>): Promise<string | null> {
    const hit = await this.read(key);
    if (hit && this.fresh(hit)) return hit.value;
    const value = await ask();
    await this.write(key, value);
    return value;
  }

  private fresh(e: Entry): boolean {
    const age = this.o.clock.now().getTime() - e.at;
    return age >= 0 && age < (this.o.ttlMs ?? PEOPLE_CACHE_MS);
  }

  private async write(key: string, value: string | null): Promise<void> {
    // PX is a backstop for the store; freshness is judged by the injected clock (fresh()).
    const entry: Entry = { value, at: this.o.clock.now().getTime() };
    if (this.o.redis) await bounded(this.o.redis.set(key, JSON.stringify(entry), 'PX', this.o.ttlMs ?? PEOPLE_CACHE_MS)).catch(() => undefined);
  }

  private async read(key: string): Promise<Entry | null> {
    try {
      const raw = this.o.redis ? await bounded(this.o.redis.get(key)) : null;
      if (!raw) return null;
      const e = Entry.safeParse(JSON.parse(raw));
      return e.success ? e.data : null;
    } catch {
      return null;
    }
  }
}
