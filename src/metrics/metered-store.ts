/**
 * Request metrics taken where a request's state really changes: at the store, on the writes that
 * won. A compare-and-set succeeds once per transition across all processes, so each transition is
 * counted once, by the process that made it, however many clicks, retries or jobs raced for it.
 */
import type { RequestRepository, Store } from '../app/ports.js';
import type { KeywardenMetrics } from './metrics.js';

/** The same store, with its requests repository reporting inserts and status changes to `metrics`. */
export function meteredStore(store: Store, metrics: Pick<KeywardenMetrics, 'requestSubmitted' | 'requestChanged'>): Store {
  const inner = store.requests;
  const observe = (what: () => void) => {
    try {
      what();
    } catch {
      // A metric must never fail a state change that has already happened.
    }
  };
  // A Proxy rather than a hand-written wrapper: methods the port gains later pass through as they are.
  const requests = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'insert') {
        return async (...args: Parameters<RequestRepository['insert']>) => {
          await target.insert(...args);
          observe(() => metrics.requestSubmitted(args[0]));
        };
      }
      if (prop === 'update') {
        return async (...args: Parameters<RequestRepository['update']>) => {
          const after = await target.update(...args);
          if (after && after.status !== args[1].status) observe(() => metrics.requestChanged(after));
          return after;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { ...store, requests };
}
