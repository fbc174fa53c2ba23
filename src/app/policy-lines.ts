/**
 * The break-glass lines that must be seen: its announcement, and its review reminders. Each goes
 * to several places (the approval message's thread, each notification channel), and each place
 * is claimed on its own by a notice named after the line and the place (claimNotice): a place
 * that refuses for good (an archived channel) is recorded and left, and never makes the others
 * repeat; a place whose message may yet go through is handed back for the next sweep.
 */
import { createHash } from 'node:crypto';
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import { MessageRefusedError, type Clock, type Log, type PolicyLinePlace, type Store } from './ports.js';

export function policyLinePlaces(ws: Workspace): PolicyLinePlace[] {
  return ['thread', ...ws.slack.notificationChannels];
}

/** A place as part of a notice key (letters and digits; a stored key is at most 41 characters). */
function placeKey(where: PolicyLinePlace): string {
  return /^[A-Za-z0-9]{1,24}$/.test(where) ? where : `x${createHash('sha256').update(where).digest('hex').slice(0, 16)}`;
}

/** The notice key of `line` (e.g. `bgUsed`, `bgReview-3`) in one place. */
export const lineKey = (line: string, where: PolicyLinePlace) => `${line}-${placeKey(where)}`;

export interface EachPlace {
  /** Messages sent now. */
  sent: number;
  /** Places still owed their message (handed back, or the claim could not be read). */
  owed: number;
}

/**
 * Sends `line` to every place not claimed before. Never throws: what failed is logged, and
 * counted as owed when a later run may still send it.
 */
export async function sendToEachPlace(
  deps: { store: Store; clock: Clock; log: Log }, r: ChangeRequest, ws: Workspace, line: string,
  send: (where: PolicyLinePlace) => Promise<void>,
): Promise<EachPlace> {
  const { store, clock, log } = deps;
  const done: EachPlace = { sent: 0, owed: 0 };
  for (const where of policyLinePlaces(ws)) {
    const key = lineKey(line, where);
    if (r.notices?.[key]) continue; // claimed when `r` was read: no write to learn it again
    const claimed = await store.requests.claimNotice(r.id, key, clock.now()).catch((err: unknown) => {
      log.warn({ err, requestId: r.id, line, where }, 'could not claim a break-glass message; the next sweep tries again');
      return null;
    });
    if (claimed === null) done.owed++;
    if (!claimed) continue;
    try {
      await send(where);
      done.sent++;
    } catch (err) {
      if (err instanceof MessageRefusedError) {
        log.error({ err, requestId: r.id, line, where }, 'Slack refused a break-glass message for good; not tried again');
        continue;
      }
      log.warn({ err, requestId: r.id, line, where }, 'could not send a break-glass message; the next sweep tries again');
      await store.requests.releaseNotice(r.id, key).catch(() => {});
      done.owed++;
    }
  }
  return done;
}
