/**
 * Slack's published limits, for the fake Slack, counted as Slack counts them: token buckets per
 * Web API method per Slack workspace, and for chat.postMessage per channel under a workspace-wide
 * cap, answered with 429 and Retry-After like Slack; and the Block Kit limits, answered with
 * `invalid_blocks` / `invalid_arguments` like Slack.
 *
 * A bucket holds `burst` calls and refills at `perMinute`. A 429 says how long until the next
 * call would be accepted (or `retryAfterSeconds` when a test fixes it); until then every call to
 * that bucket is refused again, as Slack does after it has limited a caller.
 */

export interface BucketLimit { burst: number; perMinute: number }

export interface SlackLimits {
  /** chat.postMessage, per channel (Slack: about one message a second, after a short burst). */
  postMessagePerChannel: BucketLimit;
  /** chat.postMessage per Slack workspace, whatever the channel ("several hundred a minute"; default 300 after 10). */
  postMessagePerWorkspace?: BucketLimit;
  /** Other methods by name, each per Slack workspace (Tier 3: chat.update, conversations.*; Tier 4: views.*, chat.postEphemeral, users.info). */
  methods: Record<string, BucketLimit>;
  /** A Retry-After every 429 carries, instead of the time until the next token (seconds). */
  retryAfterSeconds?: number;
}

const TIER3: BucketLimit = { burst: 5, perMinute: 50 };
const TIER4: BucketLimit = { burst: 10, perMinute: 100 };

/** Slack's published limits (the burst sizes are ours: Slack documents "short bursts" only). */
export const SLACK_LIMITS: SlackLimits = {
  postMessagePerChannel: { burst: 3, perMinute: 60 },
  postMessagePerWorkspace: { burst: 10, perMinute: 300 },
  methods: {
    'chat.update': TIER3, 'conversations.open': TIER3, 'conversations.info': TIER3,
    'views.publish': TIER4, 'views.open': TIER4, 'views.update': TIER4, 'chat.postEphemeral': TIER4, 'users.info': TIER4, 'users.lookupByEmail': TIER3,
  },
};

interface Bucket { tokens: number; at: number; blockedUntil: number }

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly blocked = new Map<string, number>();
  /** 429s answered, by method. */
  readonly limited = new Map<string, number>();
  /** 429s answered, by what was exhausted: `chat.postMessage:T1:C1`, `chat.postMessage:T1`, `chat.update:T1`. */
  readonly limitedByKey = new Map<string, number>();
  /** Calls taken, by the same keys. */
  readonly taken = new Map<string, number>();

  /** The fixed Retry-After of every 429 (`limits.retryAfterSeconds`); a test may end it. */
  retryAfterSeconds: number | undefined;

  constructor(private readonly limits: SlackLimits, private readonly now: () => number = Date.now) {
    this.retryAfterSeconds = limits.retryAfterSeconds;
  }

  /** Takes a token for the call in Slack workspace `team`; returns null when accepted, else the Retry-After in seconds. */
  take(method: string, args: Record<string, unknown>, team = 'T1'): number | null {
    const until = this.blocked.get(method) ?? 0;
    if (this.now() < until) {
      this.count(this.limited, method);
      return Math.ceil((until - this.now()) / 1000);
    }
    const buckets: Array<[string, BucketLimit]> = [];
    if (method === 'chat.postMessage') {
      buckets.push([`${method}:${team}:${String(args.channel)}`, this.limits.postMessagePerChannel]);
      if (this.limits.postMessagePerWorkspace) buckets.push([`${method}:${team}`, this.limits.postMessagePerWorkspace]);
    } else if (this.limits.methods[method]) buckets.push([`${method}:${team}`, this.limits.methods[method]!]);
    const now = this.now();
    // Every bucket must have a token; a refusal takes none.
    let wait = 0;
    for (const [key, limit] of buckets) {
      const w = this.waitOf(key, limit, now);
      if (w > 0) {
        this.count(this.limitedByKey, key);
        wait = Math.max(wait, w);
      }
    }
    if (wait > 0) {
      this.count(this.limited, method);
      return wait;
    }
    for (const [key] of buckets) {
      this.buckets.get(key)!.tokens -= 1;
      this.count(this.taken, key);
    }
    return null;
  }

  /** 0 when `key` has a token now; else the Retry-After (s), and the bucket is blocked until then. */
  private waitOf(key: string, limit: BucketLimit, now: number): number {
    const b = this.buckets.get(key) ?? { tokens: limit.burst, at: now, blockedUntil: 0 };
    this.buckets.set(key, b);
    const perMs = limit.perMinute / 60_000;
    b.tokens = Math.min(limit.burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    if (now < b.blockedUntil) return Math.ceil((b.blockedUntil - now) / 1000);
    if (b.tokens >= 1) return 0;
    const wait = this.retryAfterSeconds ?? Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    b.blockedUntil = now + wait * 1000;
    return wait;
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /**
   * Refuses every call counted against `key` (as in `limitedByKey`: `chat.postMessage:T1:C1`,
   * `chat.update:T2`) for the next `seconds`, each with the Retry-After left, as Slack does when
   * that one limit is spent.
   */
  blockKey(key: string, seconds: number): void {
    const b = this.buckets.get(key) ?? { tokens: 0, at: this.now(), blockedUntil: 0 };
    b.blockedUntil = this.now() + seconds * 1000;
    this.buckets.set(key, b);
  }

  /** Refuses every call to `method` for the next `seconds`, each with the Retry-After left. */
  block(method: string, seconds: number): void {
    this.blocked.set(method, this.now() + seconds * 1000);
  }

  /** Ends every limit in force now (a test's stand-in for waiting out a long Retry-After). */
  lift(): void {
    for (const b of this.buckets.values()) b.blockedUntil = 0;
    this.blocked.clear();
  }
}

/** The Block Kit limits Slack enforces, as Slack's error for a call that breaks one (or null). */
export function blockKitError(method: string, args: Record<string, any>): string | null {
  // Slack cuts a message's text past 40,000 characters (and refuses far longer ones, msg_too_long):
  // the fake refuses it, so nothing of ours relies on Slack's cut.
  if (typeof args.text === 'string' && args.text.length > 40_000) return 'msg_too_long';
  const blocks: unknown = method.startsWith('views.') ? args.view?.blocks : args.blocks;
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  const max = method.startsWith('views.') ? 100 : 50;
  if (blocks.length > max) return 'invalid_blocks';
  const long = (t: any, n: number) => typeof t?.text === 'string' && t.text.length > n;
  for (const b of blocks as any[]) {
    if (b?.type === 'section' && typeof b.text?.text === 'string' && b.text.text.length > 3000) return 'invalid_blocks';
    if (b?.type === 'header' && long(b.text, 150)) return 'invalid_blocks';
    if (b?.type === 'context' && (b.elements?.length > 10 || b.elements?.some((e: any) => long(e, 3000)))) return 'invalid_blocks';
    for (const e of [...(b?.elements ?? []), ...(b?.accessory ? [b.accessory] : [])]) {
      if (e?.type === 'button' && typeof e.text?.text === 'string' && e.text.text.length > 75) return 'invalid_blocks';
      if (e?.type === 'button' && typeof e.value === 'string' && e.value.length > 2000) return 'invalid_blocks';
      if (e?.type === 'static_select' && Array.isArray(e.options) && e.options.length > 100) return 'invalid_blocks';
    }
  }
  return null;
}
