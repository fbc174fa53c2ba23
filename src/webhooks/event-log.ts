/**
 * The order of a workspace's events, for its webhooks: a Redis stream per workspace holding only
 * what happened and to what (a history line's id, a request's id and new status; never a body,
 * never a secret), and per hook where its delivery stands (the stream entry and the history seq
 * last delivered) and whether a receiver turned it off (410). The bodies are read from the store
 * at delivery, and history lines are delivered from the store's hash chain by seq, so a note lost
 * with Redis is found again there.
 */
import type { Redis } from 'ioredis';
import type { EventNote, HookPosition, WebhookLog } from '../app/webhooks.js';

/** Notes kept per workspace (approximately): far more than 24 hours of retries ever hold back. */
const STREAM_MAX = 200_000;

export class WebhookEventLog implements WebhookLog {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private stream = (workspaceId: string) => `${this.prefix}:webhooks:events:${workspaceId}`;
  private readonly positions = () => `${this.prefix}:webhooks:positions`;
  private readonly disabledKey = () => `${this.prefix}:webhooks:disabled`;

  /** Appends a note (one XADD, trimmed approximately so it never blocks). */
  async note(workspaceId: string, n: Omit<EventNote, 'entry'>): Promise<void> {
    const fields = ['t', n.type, 'i', n.id, 'a', String(n.at), ...(n.status ? ['s', n.status] : [])];
    await this.redis.xadd(this.stream(workspaceId), 'MAXLEN', '~', String(STREAM_MAX), '*', ...fields);
  }

  /** Up to `count` notes after `entry`, oldest first. */
  async after(workspaceId: string, entry: string, count: number): Promise<EventNote[]> {
    const rows = await this.redis.xrange(this.stream(workspaceId), `(${entry}`, '+', 'COUNT', count);
    return rows.map(([id, f]) => {
      const get = (k: string) => { const i = f.indexOf(k); return i >= 0 && i % 2 === 0 ? f[i + 1] : undefined; };
      const status = get('s');
      return { entry: id, type: get('t') === 'history' ? 'history' : 'request', id: get('i') ?? '', at: Number(get('a') ?? 0), ...(status && { status }) };
    });
  }

  /** How many notes wait after `entry` (counted up to `cap`). */
  async backlog(workspaceId: string, entry: string, cap = 10_000): Promise<number> {
    return (await this.redis.xrange(this.stream(workspaceId), `(${entry}`, '+', 'COUNT', cap)).length;
  }

  /**
   * Where a hook stands. A hook seen for the first time starts at the present (the stream's last
   * entry and the chain's head, `historyHead`): it is sent what happens from now on, not the past.
   */
  async position(hook: string, workspaceId: string, historyHead: () => Promise<number>): Promise<HookPosition> {
    const raw = await this.redis.hget(this.positions(), hook);
    if (raw) return JSON.parse(raw) as HookPosition;
    const last = await this.redis.xrevrange(this.stream(workspaceId), '+', '-', 'COUNT', 1);
    const start: HookPosition = { entry: last[0]?.[0] ?? '0-0', historySeq: await historyHead() };
    // HSETNX: two processes meeting a new hook at once agree on one start.
    await this.redis.hsetnx(this.positions(), hook, JSON.stringify(start));
    return JSON.parse((await this.redis.hget(this.positions(), hook))!) as HookPosition;
  }

  async advance(hook: string, p: HookPosition): Promise<void> {
    await this.redis.hset(this.positions(), hook, JSON.stringify(p));
  }

  /** Turns a hook off; true for the one caller that did (it tells the people). */
  async disable(hook: string, reason: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.disabledKey(), hook, reason)) === 1;
  }

  async isDisabled(hook: string): Promise<boolean> {
    return (await this.redis.hexists(this.disabledKey(), hook)) === 1;
  }
}
