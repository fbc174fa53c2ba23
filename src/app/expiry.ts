/**
 * Expiry warnings for API tokens. Each token carries when its next warning is due; a scan reads
 * the due tokens (through an index), claims each warning with a compare-and-set that moves the
 * due date on, and only then posts it. Any number of scans, concurrent or repeated, post each
 * warning once; a warning that could not be posted is handed back for the next scan.
 */
import { dueWarning, firstWarningAt } from '../domain/expiry-warnings.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Log, Notifier, Store } from './ports.js';

export class ExpiryService {
  constructor(private readonly deps: { store: Store; notifier: Notifier; clock: Clock; log: Log }) {}

  /** Posts every warning that is due; returns how many were posted. */
  async scanTokens(limit = 500): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const workspaces = new Map<string, Workspace | null>();
    let posted = 0;
    for (const tu of await store.technicalUsers.listWarningsDue(now, limit)) {
      if (!workspaces.has(tu.workspaceId)) workspaces.set(tu.workspaceId, await store.workspaces.findById(tu.workspaceId));
      const ws = workspaces.get(tu.workspaceId);
      if (ws && (await this.warn(tu, ws, now))) posted++;
    }
    return posted;
  }

  private async warn(tu: TechnicalUser, ws: Workspace, now: Date): Promise<boolean> {
    const { store, notifier, log } = this.deps;
    const token = tu.token!;
    const step = dueWarning(token.expiresAt, ws.policy.expiryWarningDays, now);
    if (!step) {
      // The policy changed since this was scheduled: schedule by the policy as it is now.
      await store.technicalUsers.update(tu.id, tu.version, { token: { ...token, nextWarningAt: firstWarningAt(token.expiresAt, ws.policy.expiryWarningDays) } });
      return false;
    }
    const claimed = await store.technicalUsers.update(tu.id, tu.version, {
      token: { ...token, nextWarningAt: step.nextAt, lastWarnedDays: step.days },
    });
    if (!claimed) return false; // another scan claimed it, or the token changed meanwhile
    try {
      await notifier.tokenExpiring(ws, claimed, step.days, now);
      return true;
    } catch (err) {
      log.error({ err, technicalUser: tu.userName, days: step.days }, 'could not post an expiry warning; the next scan will try again');
      await store.technicalUsers.update(claimed.id, claimed.version, { token: token });
      return false;
    }
  }
}
