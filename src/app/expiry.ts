/**
 * Expiry warnings for API tokens. Each token carries when its next warning is due; a scan reads
 * the due tokens (through an index), claims each warning with a compare-and-set that moves the
 * due date on, and only then posts it. Any number of scans, concurrent or repeated, post each
 * warning once; a warning that could not be posted is handed back for the next scan. The warnings
 * of one workspace due in one scan are handed to the notifier together, so many tokens falling
 * due at once make one digest message rather than a message each.
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
    const due = new Map<string, { ws: Workspace | null; claims: Claim[] }>();
    // Active workspaces only: a retired one's due warnings are never claimed, so they would stay
    // first in line and starve the others.
    const active = (await store.workspaces.list()).map((w) => w.id);
    for (const tu of await store.technicalUsers.listWarningsDue(now, limit, active)) {
      if (!due.has(tu.workspaceId)) due.set(tu.workspaceId, { ws: await store.workspaces.findById(tu.workspaceId), claims: [] });
      const entry = due.get(tu.workspaceId)!;
      const claim = entry.ws && (await this.claim(tu, entry.ws, now));
      if (claim) entry.claims.push(claim);
    }
    let posted = 0;
    for (const { ws, claims } of due.values()) if (ws && claims.length > 0) posted += await this.post(ws, claims, now);
    return posted;
  }

  /** Claims the token's due warning (moves its due date on), or null when there is none to post. */
  private async claim(tu: TechnicalUser, ws: Workspace, now: Date): Promise<Claim | null> {
    const { store } = this.deps;
    const token = tu.token!;
    const step = dueWarning(token.expiresAt, ws.policy.expiryWarningDays, now);
    if (!step) {
      // The policy changed since this was scheduled: schedule by the policy as it is now.
      await store.technicalUsers.update(tu.id, tu.version, { token: { ...token, nextWarningAt: firstWarningAt(token.expiresAt, ws.policy.expiryWarningDays) } });
      return null;
    }
    const claimed = await store.technicalUsers.update(tu.id, tu.version, {
      token: { ...token, nextWarningAt: step.nextAt, lastWarnedDays: step.days },
    });
    // Null: another scan claimed it, or the token changed meanwhile.
    return claimed && { tu: claimed, days: step.days, before: token };
  }

  /** Posts a workspace's claimed warnings together; if that fails, hands every claim back. */
  private async post(ws: Workspace, claims: Claim[], now: Date): Promise<number> {
    const { store, notifier, log } = this.deps;
    try {
      await notifier.tokensExpiring(ws, claims.map(({ tu, days }) => ({ tu, days })), now);
      return claims.length;
    } catch (err) {
      log.error({ err, workspace: ws.name, technicalUsers: claims.map((c) => c.tu.userName) }, 'could not post expiry warnings; the next scan will try again');
      for (const c of claims) await store.technicalUsers.update(c.tu.id, c.tu.version, { token: c.before });
      return 0;
    }
  }
}

/** A warning claimed for posting, with the token as it was, to hand back if the post fails. */
interface Claim { tu: TechnicalUser; days: number; before: NonNullable<TechnicalUser['token']> }
