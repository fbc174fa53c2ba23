/**
 * Telling people about a request: the approval message rewritten for its state, and one DM to
 * the requester when it has ended. Slack failures never undo a state change; a message that
 * finally cannot be delivered is recorded on the request (and logged) for the operator.
 */
import { isSystemRequester, type ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Log, Notifier, Store } from './ports.js';

export class RequestMessages {
  constructor(private readonly deps: { store: Store; notifier: Notifier; clock: Clock; log: Log }) {}

  /**
   * Rewrites the approval message and, when the request has ended, tells the requester. Returns
   * false only when the requester should have been told and could not be. `lastChance`: nothing
   * will try again (no queue job behind this call), so a DM that fails is recorded on the request.
   * The two messages do not depend on each other, so they are sent side by side: against Slack's
   * real latency that halves the time an apply job waits.
   */
  async tell(r: ChangeRequest, ws: Workspace, final: boolean, lastChance = false): Promise<boolean> {
    const rewrite = this.rewrite(r, ws);
    if (!final) {
      await rewrite;
      return true;
    }
    const [, told] = await Promise.allSettled([rewrite, this.tellRequester(r, ws, lastChance)]);
    if (told.status === 'rejected') throw told.reason;
    return told.value;
  }

  /** The approval message, rewritten for the request's state. Never throws. */
  private async rewrite(r: ChangeRequest, ws: Workspace): Promise<void> {
    try {
      await this.deps.notifier.requestUpdated(r, ws);
    } catch (err) {
      // The state change stands; only the message is stale. Logged and recorded for the operator.
      this.deps.log.error({ err, requestId: r.id }, 'could not update the approval message');
      await this.noteUndelivered(r, 'approval-message', err);
    }
  }

  /** One DM per request, however many runs get here: only the claimant sends it. */
  private async tellRequester(r: ChangeRequest, ws: Workspace, lastChance: boolean): Promise<boolean> {
    const { notifier, store, clock, log } = this.deps;
    // Keywarden asked for it itself: there is nobody to DM (the approval message says how it ended).
    if (isSystemRequester(r.requester)) return true;
    const claimed = await store.requests.claimNotified(r.id, clock.now()).catch(async (err: unknown) => {
      // The store failed before the DM was even tried: with no retry behind us, that DM is lost.
      if (lastChance) await this.noteUndelivered(r, 'requester-dm', err);
      throw err;
    });
    if (!claimed) return true;
    try {
      await notifier.tellRequester(r, ws);
      return true;
    } catch (err) {
      log.error({ err, requestId: r.id }, 'could not tell the requester');
      await store.requests.releaseNotified(r.id);
      if (lastChance) await this.noteUndelivered(r, 'requester-dm', err);
      return false;
    }
  }

  /** Records on the request (and in the log) a message Slack would not take. Never throws. */
  async noteUndelivered(r: ChangeRequest, message: 'approval-message' | 'requester-dm', why: unknown): Promise<void> {
    const error = (why instanceof Error ? why.message : String(why)).slice(0, 300);
    this.deps.log.error({ requestId: r.id, message, status: r.status, error }, 'message undelivered; recorded on the request');
    await this.deps.store.requests
      .noteUndelivered(r.id, { message, status: r.status, error, at: this.deps.clock.now() })
      .catch((err: unknown) => this.deps.log.error({ err, requestId: r.id }, 'could not record an undelivered message'));
  }
}
