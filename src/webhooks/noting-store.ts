/**
 * The hot path's only part in webhooks: the store, with each request stored or moved to a new
 * status (by the write that won its compare-and-set) and each history line appended noted in the
 * workspace's event log. The note is sent without waiting for Redis: a slow or absent Redis never
 * slows a Slack ack or an apply. Nothing is lost with a note: a history line is delivered from
 * the chain whatever its note, and a request's status change is also written, in the same write
 * as the change, to the request's `unnoted` outbox, taken off only once its note is in the log.
 * A change whose note never made it is noted later from there (WebhookDelivery.renote).
 */
import type { ChangeRequest, OwedEvent } from '../domain/request.js';
import type { HistoryRepository, Log, RequestRepository, Store } from '../app/ports.js';
import { NOTE_LOST_AFTER_MS, noteOwed } from '../app/webhooks.js';

export interface EventSink {
  note(workspaceId: string, n: { type: 'history' | 'request'; id: string; status?: string; at: number }): Promise<void>;
}

/**
 * `sink()` is read at each note: the sink may be attached after the store is opened, and returns
 * null for a workspace without webhooks (nothing is noted for it). `owes()`: whether any
 * workspace has webhooks; only then is a status change written to its request's outbox (a
 * workspace without them has it taken off again by the renote sweep).
 */
export function notingStore(store: Store, sink: (workspaceId: string) => EventSink | null, log: Log, now: () => Date, owes: () => boolean = () => true): Store {
  const warn = (err: unknown, workspaceId: string, event: string, id: string) =>
    log.warn({ err, workspaceId, event, id }, 'could not note an event for the webhooks');
  const noteRequest = (r: ChangeRequest, just: OwedEvent) => {
    const s = sink(r.workspaceId);
    if (!s) return;
    const lost = (r.unnoted ?? []).filter((e) => e.status !== just.status && now().getTime() - e.at.getTime() > NOTE_LOST_AFTER_MS);
    noteOwed(s, store.requests, r, [...lost, just]).catch((err: unknown) => warn(err, r.workspaceId, 'request', r.id));
  };
  const requests = new Proxy(store.requests, {
    get(target, prop) {
      if (prop === 'insert') {
        return async (...args: Parameters<RequestRepository['insert']>) => {
          const owed = owes() ? { status: args[0].status, at: now() } : null;
          const r = owed ? { ...args[0], unnoted: [owed] } : args[0];
          await target.insert(r);
          if (owed) noteRequest(r, owed);
        };
      }
      if (prop === 'update') {
        return async (...args: Parameters<RequestRepository['update']>) => {
          const [id, expected, fields] = args;
          const owed = owes() && fields.status !== undefined && fields.status !== expected.status ? { status: fields.status, at: now() } : undefined;
          const after = await target.update(id, expected, fields, owed);
          if (after && owed) noteRequest(after, owed);
          return after;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const history = new Proxy(store.history, {
    get(target, prop) {
      if (prop === 'append') {
        return async (...args: Parameters<HistoryRepository['append']>) => {
          await target.append(...args);
          const s = sink(args[0].workspaceId);
          if (s) s.note(args[0].workspaceId, { type: 'history', id: args[0].id, at: args[0].at.getTime() }).catch((err: unknown) => warn(err, args[0].workspaceId, 'history', args[0].id));
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { ...store, requests, history };
}
