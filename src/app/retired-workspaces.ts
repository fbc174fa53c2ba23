/**
 * A workspace gone from the seed file is retired (app/seed.ts): it answers nothing more, and its
 * records are kept. What was still waiting in it ends here: each PENDING request is cancelled by
 * a compare-and-set and its approval message and requester are told, once, whichever process
 * gets there first. Approved requests already in the queue fail when the worker finds their
 * workspace retired (RequestService.apply), and their people are told there.
 */
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Log, Notifier, Store } from './ports.js';
import { RequestMessages } from './request-messages.js';

/** Why a retired workspace's request ended: the outcome people read. */
export const retiredReason = (ws: Workspace): string =>
  `Workspace ${ws.name} was removed from Keywarden (it is no longer in the seed file), so this request ended; nothing was changed.`;

const PAGE = 100;

export class RetiredWorkspaces {
  private readonly messages: RequestMessages;

  constructor(private readonly deps: { store: Store; notifier: Notifier; clock: Clock; log: Log }) {
    this.messages = new RequestMessages(deps);
  }

  /**
   * Cancels the pending requests of every retired workspace. Run at every start, so requests a
   * stopped process had not yet cancelled are cancelled by the next one. Returns how many.
   */
  async cancelPending(): Promise<number> {
    let n = 0;
    for (const ws of await this.deps.store.workspaces.listRetired()) n += await this.cancelPendingOf(ws);
    return n;
  }

  private async cancelPendingOf(ws: Workspace): Promise<number> {
    const { store, log } = this.deps;
    let n = 0;
    for (;;) {
      const pending = await store.requests.listByWorkspace(ws.id, { status: 'PENDING', limit: PAGE });
      let cancelledHere = 0;
      for (const r of pending) if (await this.cancel(r, ws)) cancelledHere++;
      n += cancelledHere;
      // A page where nothing could be cancelled (every one taken by another process) is the end.
      if (pending.length < PAGE || cancelledHere === 0) break;
    }
    if (n) log.info({ workspace: ws.name, cancelled: n }, 'pending requests of a retired workspace cancelled');
    return n;
  }

  private async cancel(r: ChangeRequest, ws: Workspace): Promise<boolean> {
    const cancelled = await this.deps.store.requests.update(r.id, { status: 'PENDING', version: r.version }, {
      status: 'CANCELLED', outcome: retiredReason(ws),
    });
    if (!cancelled) return false;
    await this.messages.tell(cancelled, ws, true, true).catch((err: unknown) =>
      this.deps.log.error({ err, requestId: r.id }, 'could not tell anyone about a request of a retired workspace'),
    );
    return true;
  }
}
