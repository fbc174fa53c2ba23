/**
 * Pushing a workspace's events to its webhooks: every history line (as the audit trail serves
 * it, chain fields included) and every request status change, POSTed as signed JSON, at least
 * once and in order per hook. One delivery runs per hook at a time (the queue's job id is the
 * hook's key); it resumes from the hook's stored position, so a delivery cut off after the
 * receiver answered is sent again, with the same event id. History lines are delivered from the
 * store's chain by seq: the notes in the event log only say when, so none is skipped even if its
 * note was lost. A request's status change whose note was lost is still owed on the request (its
 * outbox, written with the change) and noted again by `renote`. A receiver that answers 410 turns its hook off, and the notification channels
 * are told once.
 */
import type { ChangeRequest, OwedEvent } from '../domain/request.js';
import type { ChainedEntry } from '../domain/history-chain.js';
import { hookKey, signature, type WebhookConfig } from '../domain/webhook.js';
import type { Workspace } from '../domain/workspace.js';
import { withoutSecrets } from './audit.js';
import { systemClock, type Clock, type Log, type Notifier, type RequestRepository, type Store } from './ports.js';
import { requestJson } from './request-json.js';

export interface EventNote {
  /** The note's place in its workspace's log. */
  entry: string;
  type: 'history' | 'request';
  id: string;
  status?: string;
  at: number;
}

export interface HookPosition {
  entry: string;
  historySeq: number;
}

/** The event log's port (src/webhooks/event-log.ts). */
export interface WebhookLog {
  note(workspaceId: string, n: Omit<EventNote, 'entry'>): Promise<void>;
  after(workspaceId: string, entry: string, count: number): Promise<EventNote[]>;
  position(hook: string, workspaceId: string, historyHead: () => Promise<number>): Promise<HookPosition>;
  advance(hook: string, p: HookPosition): Promise<void>;
  disable(hook: string, reason: string): Promise<boolean>;
  isDisabled(hook: string): Promise<boolean>;
  backlog(workspaceId: string, entry: string): Promise<number>;
}

/**
 * An owed change older than this is taken for one whose note was lost: the next change of the
 * same request notes it first (so a request's changes stay in order), and the renote sweep
 * notes it at the latest. Younger ones are most likely still on their way to Redis.
 */
export const NOTE_LOST_AFTER_MS = 30_000;

/**
 * Notes a request's owed changes, oldest first: the one just made, and any older than
 * NOTE_LOST_AFTER_MS (lost before). Each is taken off the request once its note is in the log.
 */
export async function noteOwed(sink: Pick<WebhookLog, 'note'>, requests: Pick<RequestRepository, 'markNoted'>, r: ChangeRequest, owed: readonly OwedEvent[]): Promise<void> {
  for (const e of [...owed].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    await sink.note(r.workspaceId, { type: 'request', id: r.id, status: e.status, at: e.at.getTime() });
    await requests.markNoted(r.id, e.status);
  }
}

export type Poster = (url: string, body: string, headers: Record<string, string>, o: { allowPrivate: boolean }) => Promise<{ status: number | null; error?: string }>;

/** An event that could not be delivered yet: the queue retries the hook with backoff. */
export class DeliveryPending extends Error {
  override name = 'DeliveryPending';
}

/** How long an event is retried before it is given up (logged and counted). */
export const RETRY_FOR_MS = 24 * 3600_000;
const PAGE = 100;
/** Events one run delivers before it yields to other hooks (the sweep starts the next run). */
const PER_RUN = 1000;

export interface WebhookDeliveryDeps {
  store: Store;
  log: WebhookLog;
  post: Poster;
  /** The secret of a hook, by the variable the seed names (read once at start, by config). */
  secret(secretEnv: string): string | undefined;
  notifier: Pick<Notifier, 'notifyChannels'>;
  clock: Clock;
  /** The signature's timestamp is for the receiver's clock: wall time, whatever the domain clock says. */
  wallClock?: Clock;
  logger: Log;
  failed?(reason: 'refused' | 'status' | 'gone' | 'given-up'): void;
}

/** The hooks of a workspace with their keys. */
export const hooksOf = (ws: Workspace): Array<{ key: string; hook: WebhookConfig }> =>
  (ws.webhooks ?? []).map((hook) => ({ key: hookKey(ws.id, hook.url), hook }));

export class WebhookDelivery {
  constructor(private readonly deps: WebhookDeliveryDeps) {}

  /** Every hook of every active workspace: what the sweep starts deliveries for. */
  async hooks(): Promise<Array<{ key: string; workspaceId: string }>> {
    const all = await this.deps.store.workspaces.list();
    return all.flatMap((ws) => hooksOf(ws).map(({ key }) => ({ key, workspaceId: ws.id })));
  }

  /** Events waiting per hook, for the backlog gauge. */
  async backlogs(): Promise<Array<{ hook: string; backlog: number }>> {
    const out: Array<{ hook: string; backlog: number }> = [];
    for (const { key, workspaceId } of await this.hooks()) {
      const pos = await this.position(key, workspaceId);
      out.push({ hook: key, backlog: await this.deps.log.backlog(workspaceId, pos.entry) });
    }
    return out;
  }

  /**
   * Gives each new hook its starting place before anything is served, so the first events after
   * a start are its first events (a hook starts at the present, not at its first delivery).
   */
  async startHooks(): Promise<void> {
    for (const { key, workspaceId } of await this.hooks()) await this.position(key, workspaceId);
  }

  /** Where a hook stands, starting it at the present when it is new. */
  position(key: string, workspaceId: string): Promise<HookPosition> {
    return this.deps.log.position(key, workspaceId, () => this.head(workspaceId));
  }

  /**
   * Notes the request status changes whose note was lost (owed for over NOTE_LOST_AFTER_MS),
   * oldest first, each request's in the order they were made; they are then delivered in the
   * order of the log, after what was noted meanwhile. Run by one worker at a time (jobs/webhooks.ts);
   * one cut off between a note and taking it off notes it once more: at least once. A change owed
   * in a workspace that has no webhooks (any more) is only taken off. Returns how many were noted.
   */
  async renote(limit = PAGE): Promise<number> {
    const { store, log, clock } = this.deps;
    const before = new Date(clock.now().getTime() - NOTE_LOST_AFTER_MS);
    let noted = 0;
    for (const r of await store.requests.listUnnoted(before, limit)) {
      const lost = (r.unnoted ?? []).filter((e) => e.at <= before);
      const ws = await store.workspaces.findById(r.workspaceId);
      if (ws && hooksOf(ws).length > 0) {
        await noteOwed(log, store.requests, r, lost);
        noted += lost.length;
        this.deps.logger.warn({ requestId: r.id, statuses: lost.map((e) => e.status) }, 'noted request status changes for the webhooks whose notes were lost');
      } else {
        for (const e of lost) await store.requests.markNoted(r.id, e.status);
      }
    }
    return noted;
  }

  /**
   * Delivers the hook's waiting events in order, until none waits (or PER_RUN were sent). Throws
   * DeliveryPending when the receiver did not take one: the hook's position stays before it.
   */
  async deliver(key: string): Promise<number> {
    const { store, log } = this.deps;
    const workspaceId = key.slice(0, key.lastIndexOf(':'));
    const ws = await store.workspaces.findById(workspaceId);
    const found = ws && hooksOf(ws).find((h) => h.key === key);
    if (!ws || !found || (await log.isDisabled(key))) return 0;
    const { hook } = found;
    let pos = await this.position(key, ws.id);
    let sent = 0;
    /** Sends history lines in seq order, the position moved on after each; false once the hook is off. */
    const sendLines = async (lines: ChainedEntry[]): Promise<boolean> => {
      for (const line of lines) {
        if (!(await this.send(ws, key, hook, historyEvent(line)))) return false;
        pos = { ...pos, historySeq: line.seq };
        await log.advance(key, pos);
        sent++;
      }
      return true;
    };
    while (sent < PER_RUN) {
      const notes = await log.after(ws.id, pos.entry, PAGE);
      if (notes.length === 0) {
        // The chain may hold lines whose notes never made it to the log: send them too.
        const rest = hook.events.includes('history') ? await this.historyAfter(ws.id, pos.historySeq, PAGE) : [];
        if (rest.length === 0) break;
        if (!(await sendLines(rest))) return sent;
        continue;
      }
      for (const note of notes) {
        if (note.type === 'history' && hook.events.includes('history')) {
          const line = await store.history.findById(note.id) as Partial<ChainedEntry> | null;
          const upTo = line?.workspaceId === ws.id && typeof line.seq === 'number' ? line.seq : 0;
          // Every line up to this one, in seq order: lines of lost notes first, each line once.
          while (pos.historySeq < upTo) {
            const lines = await this.historyAfter(ws.id, pos.historySeq, Math.min(PAGE, upTo - pos.historySeq));
            if (lines.length === 0) break;
            if (!(await sendLines(lines))) return sent;
          }
        } else if (note.type === 'request' && hook.events.includes('request')) {
          const r = await store.requests.findById(note.id);
          if (r && r.workspaceId === ws.id && note.status && !(await this.send(ws, key, hook, requestEvent(r, note)))) return sent;
          if (r) sent++;
        }
        pos = { ...pos, entry: note.entry };
        await log.advance(key, pos);
      }
    }
    return sent;
  }

  /**
   * One POST. True when it was taken (2xx) or given up after RETRY_FOR_MS; false when the hook
   * was turned off (410); throws DeliveryPending otherwise.
   */
  private async send(ws: Workspace, key: string, hook: WebhookConfig, e: WebhookEvent): Promise<boolean> {
    const { post, clock, logger, failed } = this.deps;
    const secret = this.deps.secret(hook.secretEnv);
    // Not this process's to send: its configuration lacks the secret (config stops a start without it).
    if (!secret) throw new DeliveryPending(`no secret for ${hook.secretEnv} in this process`);
    const body = JSON.stringify(e);
    const now = clock.now();
    const headers = {
      'x-keywarden-signature': signature(secret, body, Math.floor((this.deps.wallClock ?? systemClock).now().getTime() / 1000)),
      'x-keywarden-event-id': e.id, 'x-keywarden-event-type': e.type,
    };
    const res = await post(hook.url, body, headers, { allowPrivate: hook.allowPrivate ?? false });
    if (res.status !== null && res.status >= 200 && res.status < 300) return true;
    if (res.status === 410) {
      failed?.('gone');
      if (await this.deps.log.disable(key, `answered 410 at ${now.toISOString()}`)) {
        logger.warn({ hook: key, workspace: ws.name }, 'webhook answered 410 Gone; turned off');
        await this.deps.notifier.notifyChannels(ws, `:electric_plug: The webhook ${safeUrl(hook.url)} of workspace ${ws.name} answered *410 Gone*, so Keywarden stopped sending it events. Events from now on are kept; to turn it on again, change its \`url\` in the seed file and restart.`)
          .catch((err: unknown) => logger.error({ err, hook: key }, 'could not tell the notification channels about a webhook turned off'));
      }
      return false;
    }
    failed?.(res.status === null ? 'refused' : 'status');
    if (now.getTime() - new Date(e.occurredAt).getTime() > RETRY_FOR_MS) {
      failed?.('given-up');
      logger.error({ hook: key, eventId: e.id, status: res.status, error: res.error }, 'webhook event given up after 24 hours of retries');
      return true;
    }
    logger.warn({ hook: key, eventId: e.id, status: res.status, error: res.error }, 'webhook delivery failed; retrying with backoff');
    throw new DeliveryPending(`webhook ${key}: ${res.status ?? res.error ?? 'no answer'}`);
  }

  /** The chain's last seq in the workspace (0 when empty). */
  private async head(workspaceId: string): Promise<number> {
    let after = 0;
    for (;;) {
      const page = await this.deps.store.history.listByWorkspace(workspaceId, { afterSeq: after, limit: 1000 });
      if (page.length < 1000) return page.at(-1)?.seq ?? after;
      after = page.at(-1)!.seq;
    }
  }

  private historyAfter(workspaceId: string, afterSeq: number, limit: number): Promise<ChainedEntry[]> {
    return this.deps.store.history.listByWorkspace(workspaceId, { afterSeq, limit });
  }
}

export interface WebhookEvent {
  /** Stable across re-deliveries: the receiver's key for dropping duplicates. */
  id: string;
  type: 'history' | 'request';
  workspaceId: string;
  occurredAt: string;
  data: unknown;
}

const historyEvent = (line: ChainedEntry): WebhookEvent => ({
  id: `history:${line.workspaceId}:${line.seq}`, type: 'history', workspaceId: line.workspaceId, occurredAt: line.at.toISOString(),
  data: withoutSecrets(line),
});

const requestEvent = (r: ChangeRequest, note: EventNote): WebhookEvent => ({
  id: `request:${r.id}:${note.status}`, type: 'request', workspaceId: r.workspaceId, occurredAt: new Date(note.at).toISOString(),
  data: { status: note.status, request: requestJson(r) },
});

/** The URL as people may read it: no query string (it may carry a token of the receiver's). */
const safeUrl = (u: string): string => {
  try {
    const url = new URL(u);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(unreadable URL)';
  }
};
