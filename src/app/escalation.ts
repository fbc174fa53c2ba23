/**
 * Escalation: a request still pending `escalateAfterHours` after it was made (its rule's
 * escalateAt, set at submit) is announced once more in its thread, naming the rule's escalateTo
 * users or groups, who may from then on also decide it (domain/policy.ts namedDeciders). Each
 * escalation is claimed first by a compare-and-set that clears escalateAt, so concurrent sweeps
 * announce it once; one Slack refuses is logged and not tried again, as a reminder is.
 */
import { matchRule } from '../domain/policy.js';
import type { Clock, Log, Notifier, Store } from './ports.js';

export class Escalations {
  constructor(private readonly deps: { store: Store; clock: Clock; log: Log; notifier: Notifier }) {}

  async escalateDue(limit = 50): Promise<number> {
    const { store, clock, log, notifier } = this.deps;
    let n = 0;
    for (const r of await store.requests.listEscalationsDue(clock.now(), limit)) {
      const ws = await store.workspaces.findById(r.workspaceId);
      const claimed = ws && (await store.requests.update(r.id, { status: 'PENDING', version: r.version }, { escalateAt: null }));
      if (!ws || !claimed) continue;
      // The rule as it is now: a seed change since the request was made may have dropped the escalation.
      const to = matchRule(ws, claimed).escalateTo;
      if (!to.length) continue;
      try {
        await notifier.escalated(claimed, ws, to);
        n++;
      } catch (err) {
        log.warn({ err, requestId: r.id }, 'could not announce the escalation of a pending request');
      }
    }
    return n;
  }
}
