/**
 * The person whose permission changed is told, by DM, once: what changed, who asked, who
 * approved, until when. Only when Slack (or the seed) knows who they are, and not when they asked
 * for it themselves (the requester's DM already told them). Claimed on the request so a retried
 * apply job does not tell them twice; released when Slack would not take it, for the retry.
 *
 * Who they are on Slack is known without a call when the seed or Keywarden's cache says so. Else
 * it is asked in the outbound path (users.lookupByEmail, Tier 3: about 50 a minute per Slack
 * workspace), not in the apply job: a burst of applies (an access review's closing) would
 * otherwise hold the apply workers on Slack's limit and, past its retries, leave people untold.
 * Measured with the bench's apply part: the lookup and its cache writes were about 30% of an
 * apply job's CPU (1.02 ms a job with it, 0.74 ms without, back to back on one machine).
 */
import { subjectEmail } from '../domain/identity.js';
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Identities } from './identity.js';
import type { Clock, Log, Notifier, Store } from './ports.js';

const NOTICE = 'subject';

type SubjectDeps = { store: Store; notifier: Notifier; clock: Clock; log: Log };

export async function tellSubject(deps: SubjectDeps & { identities?: Identities }, r: ChangeRequest, ws: Workspace): Promise<void> {
  const email = subjectEmail(r);
  if (r.status !== 'APPLIED' || !email || !deps.identities) return;
  try {
    const to = r.subjectUser ?? (await deps.identities.slackUserOf(ws, email, { cachedOnly: true }));
    if (to) await tellFoundSubject(deps, r, ws, to);
    else await deps.notifier.findSubject(r, ws);
  } catch (err) {
    // The change stands; only the courtesy DM is missing.
    deps.log.warn({ err, requestId: r.id }, 'could not tell the person whose permission changed');
  }
}

/** Tells Slack user `to`, who is the subject of `r`, once. Throws when Slack would not take it (the claim given back). */
export async function tellFoundSubject(deps: SubjectDeps, r: ChangeRequest, ws: Workspace, to: string): Promise<void> {
  const email = subjectEmail(r);
  if (r.status !== 'APPLIED' || !email || to === r.requester) return;
  if (!(await deps.store.requests.claimNotice(r.id, NOTICE, deps.clock.now()))) return;
  const user = await deps.store.users.findByEmail(email);
  const p = user && (await deps.store.permissions.find(ws.id, user.id));
  const until = p?.grant?.requestId === r.id || r.kind === 'permission.extend' ? (p?.grant?.until ?? null) : null;
  await deps.notifier.tellSubject(r, ws, to, until).catch(async (err: unknown) => {
    await deps.store.requests.releaseNotice(r.id, NOTICE).catch(() => undefined);
    throw err;
  });
}
