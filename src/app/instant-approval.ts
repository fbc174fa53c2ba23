/**
 * Requests the policy lets through without approval: a rule with `approvals: 0`, and break-glass
 * where its rule allows it (domain/policy.ts). They are stored and posted like any request, so
 * the approvals channel shows who asked and why, and then approved at once in the open.
 */
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { ApplyQueue, Clock, Log, Notifier, Store } from './ports.js';
import { sendToEachPlace } from './policy-lines.js';
import type { RequestMessages } from './request-messages.js';

/**
 * APPROVED by the same compare-and-set a click makes (decidedBy null: nobody decided), queued,
 * its message rewritten to say so, and a break-glass change announced. A queue that cannot be
 * reached leaves it to the outbox sweep, as after a click; a message Slack refuses is logged. An
 * announcement not made here (the process stopped, Slack failed) is owed, and the break-glass
 * sweep makes it (BreakGlassService.remindUnreviewed), each place once.
 */
export async function approveAtOnce(
  deps: { store: Store; queue: ApplyQueue; clock: Clock; log: Log; notifier: Notifier },
  messages: RequestMessages, r: ChangeRequest, ws: Workspace,
): Promise<{ request: ChangeRequest; won: boolean }> {
  const { store, queue, clock, log, notifier } = deps;
  const approved = await store.requests.update(r.id, { status: 'PENDING', version: r.version }, {
    status: 'APPROVED', decidedBy: null, decidedAt: clock.now(),
  });
  // Another sweep (or the submit itself) got there first: it queues and tells.
  if (!approved) return { request: (await store.requests.findById(r.id)) ?? r, won: false };
  await queue.enqueue(approved.id).catch((err: unknown) => log.warn({ err, requestId: r.id }, 'queue unavailable; the outbox sweep will queue this request'));
  await messages.tell(approved, ws, false).catch((err: unknown) => log.error({ err, requestId: r.id }, 'could not rewrite the message of a request applied at once'));
  if (approved.breakGlass) await sendToEachPlace(deps, approved, ws, 'bgUsed', (where) => notifier.breakGlassUsed(approved, ws, where));
  return { request: approved, won: true };
}
