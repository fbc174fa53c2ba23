/**
 * The scheduled sweeps over requests: pending ones that expire, reminders to approvers, requests
 * stored but never posted, and the outbox of approvals that never reached the queue. Each is safe
 * to run at any time from any worker: every change it makes is a compare-and-set.
 */
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { ApplyQueue, Clock, Log, Notifier, RequestFields, Store } from './ports.js';
import { approveAtOnce } from './instant-approval.js';
import type { RequestMessages } from './request-messages.js';

/** A request this old with no approval message was left by a stopped process (postUnposted). */
export const UNPOSTED_AFTER_MS = 5 * 60_000;

export class RequestSweeps {
  constructor(
    private readonly deps: { store: Store; notifier: Notifier; queue: ApplyQueue; clock: Clock; log: Log; messages: RequestMessages },
  ) {}

  /** A pending request past its time: EXPIRED, its message rewritten, its requester told. */
  async expire(r: ChangeRequest, ws: Workspace): Promise<boolean> {
    const expired = await this.deps.store.requests.update(r.id, { status: 'PENDING', version: r.version }, {
      status: 'EXPIRED', outcome: 'Nobody decided in time.',
    });
    if (expired) {
      await this.deps.messages.tell(expired, ws, true, true).catch((err: unknown) =>
        this.deps.log.error({ err, requestId: r.id }, 'could not tell anyone about an expired request'),
      );
    }
    return expired !== null;
  }

  /** Pending requests past their TTL become EXPIRED: message rewritten, requester told. */
  async expirePending(limit = 200): Promise<number> {
    const { store, clock } = this.deps;
    let n = 0;
    for (const r of await store.requests.listPendingExpired(clock.now(), limit)) {
      const ws = await store.workspaces.findById(r.workspaceId);
      if (ws && (await this.expire(r, ws))) n++;
    }
    return n;
  }

  /**
   * Reminds the approvers of pending requests whose reminder is due (the workspace's
   * reminderHoursBeforeExpiry before they expire), once each: the reminder is claimed by a
   * compare-and-set that clears remindAt before it is posted, so concurrent sweeps and workers
   * never post it twice. A reminder Slack refuses is logged and not tried again.
   */
  async remindApprovers(limit = 50): Promise<number> {
    const { store, notifier, clock, log } = this.deps;
    const now = clock.now();
    return this.claimEach(
      await store.requests.listRemindersDue(now, limit), { remindAt: null },
      (r, ws) => notifier.remindApprovers(r, ws, now),
      (r, err) => log.warn({ err, requestId: r.id }, 'could not remind the approvers of a pending request'),
    );
  }

  /**
   * Requests stored but never posted for approval: the process stopped between the two steps of
   * submit. Nobody could see or decide one until it expired, so it is posted now. `olderThanMs`
   * is longer than a post can take (the Slack client gives up well within it), so a submit still
   * posting is never overtaken. Each is claimed first (a compare-and-set that bumps its version),
   * so two sweeps never post the same request twice; one whose post fails is tried at the next
   * sweep, until it expires.
   */
  async postUnposted(olderThanMs = UNPOSTED_AFTER_MS, limit = 50): Promise<number> {
    const { store, notifier, clock, log } = this.deps;
    return this.claimEach(
      await store.requests.listUnposted(new Date(clock.now().getTime() - olderThanMs), limit), {},
      async (r, ws) => {
        const ref = await notifier.requestCreated(r, ws); // null: queued (a no-op if it already waits)
        if (!ref) return;
        await store.requests.setSlackRef(r.id, ref);
        log.warn({ requestId: r.id, createdAt: r.createdAt }, 'posted a request that was stored but never posted for approval');
      },
      (r, err) => log.error({ err, requestId: r.id }, 'could not post a request that was never posted for approval; the next sweep tries again'),
    );
  }

  /**
   * For each listed PENDING request: claims it by a compare-and-set on its version (with
   * `fields`), so concurrent sweeps act on each at most once, then acts on the claimed request.
   * Returns how many acts succeeded; a failed one is handed to `failed`.
   */
  private async claimEach(
    list: ChangeRequest[], fields: RequestFields,
    act: (r: ChangeRequest, ws: Workspace) => Promise<void>, failed: (r: ChangeRequest, err: unknown) => void,
  ): Promise<number> {
    const { store } = this.deps;
    let n = 0;
    for (const r of list) {
      const ws = await store.workspaces.findById(r.workspaceId);
      const claimed = ws && (await store.requests.update(r.id, { status: 'PENDING', version: r.version }, fields));
      if (!ws || !claimed) continue;
      try {
        await act(claimed, ws);
        n++;
      } catch (err) {
        failed(r, err);
      }
    }
    return n;
  }

  /**
   * The outbox: approved requests that never reached the queue (Redis was down when the approver
   * clicked, or a job used up its attempts while the store was away) are queued again. Job ids are
   * request ids, so queueing twice runs once. First, the
   * approvals owed: requests that need none (approvals 0, break-glass) left PENDING by a process
   * that stopped between storing and approving them are approved now (and queued by that).
   */
  async sweepApproved(olderThanMs = 30_000, limit = 200): Promise<number> {
    const { store, queue, clock } = this.deps;
    const owed = await this.approveOwed(limit);
    const stale = await store.requests.listDecided('APPROVED', new Date(clock.now().getTime() - olderThanMs), limit);
    for (const r of stale) await queue.enqueue(r.id, { retryFailed: true });
    return owed + stale.length;
  }

  /**
   * `olderThanMs` is the unposted sweep's: a submit still posting its message (or waiting behind
   * Slack's rate limit for it) is never overtaken. approveAtOnce is a compare-and-set on the
   * pending request, so concurrent sweeps (and a late submit) approve each once.
   */
  private async approveOwed(limit: number, olderThanMs = UNPOSTED_AFTER_MS): Promise<number> {
    const { store, clock, log } = this.deps;
    let n = 0;
    for (const r of await store.requests.listApprovalsOwed(new Date(clock.now().getTime() - olderThanMs), limit)) {
      const ws = await store.workspaces.findById(r.workspaceId);
      if (!ws) continue;
      if ((await approveAtOnce(this.deps, this.deps.messages, r, ws)).won) {
        n++;
        log.warn({ requestId: r.id }, 'approved a request that needs no approval, left pending by a process that stopped');
      }
    }
    return n;
  }
}
