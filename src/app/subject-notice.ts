/**
 * The person whose permission changed is told, by DM, once: what changed, who asked, who
 * approved, until when. Only when Slack (or the seed) knows who they are, and not when they asked
 * for it themselves (the requester's DM already told them). Claimed on the request so a retried
 * apply job does not tell them twice; released when Slack would not take it, for the retry.
 */
import { subjectEmail } from '../domain/identity.js';
import type { ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Identities } from './identity.js';
import type { Clock, Log, Notifier, Store } from './ports.js';

const NOTICE = 'subject';

export async function tellSubject(
  deps: { store: Store; notifier: Notifier; clock: Clock; log: Log; identities?: Identities },
  r: ChangeRequest, ws: Workspace,
): Promise<void> {
  const email = subjectEmail(r);
  if (r.status !== 'APPLIED' || !email || !deps.identities) return;
  try {
    const to = r.subjectUser ?? (await deps.identities.slackUserOf(ws, email));
    if (!to || to === r.requester) return;
    if (!(await deps.store.requests.claimNotice(r.id, NOTICE, deps.clock.now()))) return;
    const user = await deps.store.users.findByEmail(email);
    const p = user && (await deps.store.permissions.find(ws.id, user.id));
    const until = p?.grant?.requestId === r.id || r.kind === 'permission.extend' ? (p?.grant?.until ?? null) : null;
    await deps.notifier.tellSubject(r, ws, to, until).catch(async (err: unknown) => {
      await deps.store.requests.releaseNotice(r.id, NOTICE).catch(() => undefined);
      throw err;
    });
  } catch (err) {
    // The change stands; only the courtesy DM is missing.
    deps.log.warn({ err, requestId: r.id }, 'could not tell the person whose permission changed');
  }
}
