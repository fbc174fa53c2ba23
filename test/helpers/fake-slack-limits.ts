/**
 * Slack's published limits, for the fake Slack: token buckets per Web API method (per channel for
 * chat.postMessage), answered with 429 and Retry-After like Slack; and the Block Kit limits,
 * answered with `invalid_blocks` / `invalid_arguments` like Slack.
 *
 * A bucket holds `burst` calls and refills at `perMinute`. A 429 says how long until the next
 * call would be accepted (or `retryAfterSeconds` when a test fixes it); until then every call to
 * that bucket is refused again, as Slack does after it has limited a caller.
 */

export interface BucketLimit { burst: number; perMinute: number }

export interface SlackLimits {
  /** chat.postMessage, per channel (Slack: about one message a second, after a short burst). */
  postMessagePerChannel: BucketLimit;
  /** Other methods by name (Tier 3: chat.update, conversations.*; Tier 4: views.*, chat.postEphemeral, users.info). */
  methods: Record<string, BucketLimit>;
  /** A Retry-After every 429 carries, instead of the time until the next token (seconds). */
  retryAfterSeconds?: number;
}

const TIER3: BucketLimit = { burst: 5, perMinute: 50 };
const TIER4: BucketLimit = { burst: 10, perMinute: 100 };

/** Slack's published limits (the burst sizes are ours: Slack documents "short bursts" only). */
export const SLACK_LIMITS: SlackLimits = {
  postMessagePerChannel: { burst: 3, perMinute: 60 },
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

  /** The fixed Retry-After of every 429 (`limits.retryAfterSeconds`); a test may end it. */
  retryAfterSeconds: number | undefined;

  constructor(private readonly limits: SlackLimits, private readonly now: () => number = Date.now) {
    this.retryAfterSeconds = limits.retryAfterSeconds;
  }

  /** Takes a token for the call; returns null when accepted, else the Retry-After in seconds. */
  take(method: string, args: Record<string, unknown>): number | null {
    const limit = method === 'chat.postMessage' ? this.limits.postMessagePerChannel : this.limits.methods[method];
    const until = this.blocked.get(method) ?? 0;
    if (this.now() < until) {
      this.limited.set(method, (this.limited.get(method) ?? 0) + 1);
      return Math.ceil((until - this.now()) / 1000);
    }
    if (!limit) return null;
    const key = method === 'chat.postMessage' ? `${method}:${String(args.channel)}` : method;
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: limit.burst, at: now, blockedUntil: 0 };
    this.buckets.set(key, b);
    const perMs = limit.perMinute / 60_000;
    b.tokens = Math.min(limit.burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    if (now >= b.blockedUntil && b.tokens >= 1) {
      b.tokens -= 1;
      return null;
    }
    this.limited.set(method, (this.limited.get(method) ?? 0) + 1);
    if (now < b.blockedUntil) return Math.ceil((b.blockedUntil - now) / 1000);
    const wait = this.retryAfterSeconds ?? Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    b.blockedUntil = now + wait * 1000;
    return wait;
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
  const blocks: unknown = method.startsWith('views.') ? args.view?.blocks : args.blocks;
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  const max = method.startsWith('views.') ? 100 : 50;
  if (blocks.length > max) return 'invalid_blocks';
  for (const b of blocks as any[]) {
    if (b?.type === 'section' && typeof b.text?.text === 'string' && b.text.text.length > 3000) return 'invalid_blocks';
    for (const e of [...(b?.elements ?? []), ...(b?.accessory ? [b.accessory] : [])]) {
      if (e?.type === 'button' && typeof e.text?.text === 'string' && e.text.text.length > 75) return 'invalid_blocks';
      if (e?.type === 'static_select' && Array.isArray(e.options) && e.options.length > 100) return 'invalid_blocks';
    }
  }
  return null;
}
