/**
 * Waiting in flow tests for what the app's workers do in their own time: polled every 25 ms up to
 * a bound, never a sleep of a guessed length.
 */
import type { ChangeRequest } from '../../src/domain/request.js';
import type { Store } from '../../src/app/ports.js';

/** The first truthy value of `f`; throws naming `what` after `ms`. */
export async function waitFor<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** The request once it has `status`. */
export const requestWithStatus = (store: Store, id: string, status: string, ms?: number): Promise<ChangeRequest> => waitFor(`request ${id} ${status}`, async () => {
  const r = await store.requests.findById(id);
  return r?.status === status ? r : null;
}, ms);
