/**
 * A grant's end that the workspace's truth (a connected LeanIX) did not take yet: LeanIX does not
 * answer, its connection is unauthorised, or it refused the role back. The end is never given up:
 * giving up would leave the granted role in LeanIX, which is the truth, with nobody to take it
 * back, so a grant would silently outlive what was approved. Unlike an approved change, which
 * fails 30 minutes after approval and can simply be asked for again, nobody asks for an end.
 *
 * So: the grant stays active and due, and the grant sweep (every 30 seconds, from the store, so a
 * Redis that lost the timer loses nothing) tries again until LeanIX takes it. While the connection
 * is unauthorised each try fails at once without calling LeanIX (leanix/http.ts), so that is a
 * look at a flag, not a loop of calls. It is not silent: the notification channels are told once
 * per grant, at once when LeanIX refused or the connection is unauthorised (a person must act),
 * and after 30 minutes past the end for an outage (LeanIX's usual hiccups pass sooner).
 */
import { Codes, DomainError, isDomainError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Log, Notifier, Store } from './ports.js';
import { isRetryLater } from './retry-later.js';

/** How long past its end an end held by an outage waits before the channels are told. */
export const END_HELD_TELL_AFTER_MS = 30 * 60_000;

/** The end was not made: the target did not take it. The grant is still active. */
export class GrantEndHeldError extends Error {
  override name = 'GrantEndHeldError';
  constructor(
    /** What held it, in words a person reads (LeanIX's own when it refused). */
    readonly reason: string,
    /** An outage that passes (true), or something a person must mend (false). */
    readonly passing: boolean,
  ) {
    super(reason);
  }
}

export const isGrantEndHeld = (e: unknown): e is GrantEndHeldError => e instanceof GrantEndHeldError;

/** What a target's failure means for an end: held (GrantEndHeldError), or anything else unchanged. */
export function heldBy(err: unknown): unknown {
  if (isRetryLater(err)) return new GrantEndHeldError('LeanIX is not answering', true);
  if (isDomainError(err)) return new GrantEndHeldError(err.message, false);
  return err;
}

/**
 * For whoever clicked to end a grant now (End now, Revert now): a held end in their words, as a
 * DomainError (the grant is still active); anything else unchanged.
 */
export function asRefusal(err: unknown): unknown {
  if (!isGrantEndHeld(err)) return err;
  return new DomainError(Codes.GRANT_END_HELD, err.passing
    ? 'LeanIX is not answering, so the role was not taken back there; the grant is still active. Try again in a minute (at its end Keywarden keeps trying by itself).'
    : `The role was not taken back in LeanIX, so the grant is still active: ${err.reason}`);
}

/** Tells the notification channels once per grant that its end is held, when it is time to. Never throws. */
export async function tellEndHeld(
  deps: { store: Store; notifier: Notifier; clock: Clock; log: Log },
  ws: Workspace, label: string, grant: Grant, held: GrantEndHeldError,
): Promise<void> {
  const { store, notifier, clock, log } = deps;
  const now = clock.now();
  const overdue = now.getTime() - grant.until.getTime();
  if (overdue < 0 || (held.passing && overdue < END_HELD_TELL_AFTER_MS)) return;
  try {
    if (!(await store.requests.claimNotice(grant.requestId, 'grantEndHeld', now))) return;
    const why = held.passing ? `LeanIX has not answered for ${Math.round(overdue / 60_000)} minutes` : plain(held.reason);
    await notifier.notifyChannels(ws, `:warning: The grant of ${grant.role} to ${plain(label)} in ${plain(ws.name)} is over, but its role could not be taken back in LeanIX yet (${why}), so LeanIX still shows ${grant.role}. Keywarden tries again every 30 seconds and sets ${grant.revertTo} as soon as LeanIX takes it.`);
  } catch (err) {
    // The claim stands: a message that failed is not repeated by every sweep; the log keeps it.
    log.error({ err, grantId: grant.requestId }, 'could not tell the notification channels that a grant end is held');
  }
}

/** Text from elsewhere (an email, LeanIX's words) kept from acting as Slack markup: `&`, `<`, `>` are all Slack decodes. */
const plain = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
