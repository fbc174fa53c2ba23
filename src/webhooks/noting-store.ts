/**
 * The hot path's only part in webhooks: the store, with each request stored or moved to a new
 * status (by the write that won its compare-and-set) and each history line appended noted in the
 * workspace's event log. The note is sent without waiting for Redis: a slow or absent Redis never
 * slows a Slack ack or an apply, and a note lost that way costs a history line nothing (delivered
 * from the chain) and a request status change its push (logged).
 */
import type { HistoryRepository, Log, RequestRepository, Store } from '../app/ports.js';

export interface EventSink {
  note(workspaceId: string, n: { type: 'history' | 'request'; id: string; status?: string; at: number }): Promise<void>;
}

/**
 * `sink()` is read at each note: the sink may be attached after the store is opened, and returns
 * null for a workspace without webhooks (nothing is noted for it: no cost there at all).
 */
export function notingStore(store: Store, sink: (workspaceId: string) => EventSink | null, log: Log, now: () => Date): Store {
  const note = (workspaceId: string, n: Parameters<EventSink['note']>[1]) => {
    const s = sink(workspaceId);
    if (!s) return;
    s.note(workspaceId, n).catch((err: unknown) => log.warn({ err, workspaceId, event: n.type, id: n.id }, 'could not note an event for the webhooks'));
  };
  const requests = new Proxy(store.requests, {
    get(target, prop) {
      if (prop === 'insert') {
        return async (...args: Parameters<RequestRepository['insert']>) => {
          await target.insert(...args);
          note(args[0].workspaceId, { type: 'request', id: args[0].id, status: args[0].status, at: now().getTime() });
        };
      }
      if (prop === 'update') {
        return async (...args: Parameters<RequestRepository['update']>) => {
          const after = await target.update(...args);
          if (after && after.status !== args[1].status) note(after.workspaceId, { type: 'request', id: after.id, status: after.status, at: now().getTime() });
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
          note(args[0].workspaceId, { type: 'history', id: args[0].id, at: args[0].at.getTime() });
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { ...store, requests, history };
}
