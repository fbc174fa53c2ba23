/**
 * Drift: a change the sync found in LeanIX that Keywarden did not make. Each is one history line in
 * the one drift shape (drift-record.ts: `permission.changed_outside`, `techuser.changed_outside`,
 * actor LeanIX, before and after) whose id follows from the mirror state it replaced, so however
 * many workers find the same difference it is one line. A change that raises access is told at
 * once; the rest (and the drift the apply path finds) go into one digest a day.
 */
import type { AppliedChange } from '../domain/applied.js';
import type { HistoryEntry, SubjectType } from '../domain/history.js';
import { raisesAccess } from '../domain/mirror.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Log, Notifier, Store } from '../app/ports.js';
import type { SyncState } from './sync-state.js';
import { driftEntry, isDriftAction, recordDrift, type Drift as DriftLine } from './drift-record.js';

const DAY_MS = 86_400_000;
/** How far back `/permission drift` looks. */
export const DRIFT_LIST_DAYS = 30;

/** The id of the drift that replaced the mirror's state at `version`: the same for every worker that finds it. */
export const driftId = (subjectId: string, version: number): string => `drift:${subjectId}:${version}`;
export const isDriftId = (id: string): boolean => id.startsWith('drift:');

/** Told of each drift recorded, by workspace name (the metrics' label). */
export interface DriftObserver {
  driftFound(workspace: string, kind: SubjectType): void;
}

export interface DriftSubject {
  type: SubjectType;
  id: string;
  label: string;
}

export class Drift {
  constructor(private readonly deps: { store: Store; notifier: Notifier; clock: Clock; log: Log; state: SyncState; observer?: DriftObserver }) {}

  /**
   * Records one drift (one history line, whoever finds it) and, if it raises access, tells it at
   * once: once, claimed in Redis, released again when the message cannot be sent so the next
   * sync tries again. Returns whether this call wrote the line. Called again for a drift whose
   * line or message a stopped process left undone (sync.ts), it finishes what is missing.
   */
  async found(ws: Workspace, subject: DriftSubject, change: AppliedChange): Promise<boolean> {
    const { store, notifier, state } = this.deps;
    const raises = raisesAccess(subject.type, change.before, change.after, change.at);
    const line: DriftLine = {
      workspaceId: ws.id, subject, expected: change.before ?? {}, found: change.after ?? {}, requestId: null, basis: change.id, at: change.at,
    };
    const id = driftEntry(line).id;
    const wrote = !(await store.history.findById(id));
    if (wrote) {
      await recordDrift(store.history, line);
      this.deps.observer?.driftFound(ws.name, subject.type);
    }
    if (raises && (await state.claimNotice(id))) {
      try {
        await notifier.driftFound(ws, [id]);
      } catch (err) {
        await state.releaseNotice(id).catch(() => {});
        this.deps.log.error({ err, drift: id }, 'could not tell a change made outside Keywarden; the next sync tries again');
      }
    }
    return wrote;
  }

  /**
   * The digest of yesterday's (UTC) drift, once per workspace and day: what did not raise access,
   * and what an apply found (told to its requester, not yet to the channels),
   * however many workers sync: sent by the first sync of the day. Nothing to tell: no message.
   */
  async digest(ws: Workspace): Promise<number> {
    const { state, clock, notifier } = this.deps;
    const today = Date.UTC(clock.now().getUTCFullYear(), clock.now().getUTCMonth(), clock.now().getUTCDate());
    const day = new Date(today - DAY_MS).toISOString().slice(0, 10);
    if (!(await state.claimDigest(ws.id, day))) return 0;
    try {
      const lines = (await this.list(ws.id, new Date(today - DAY_MS), new Date(today))).filter((e) => e.requestId !== null || !raisesAccess(e.subject.type, e.before, e.after, e.at));
      if (lines.length > 0) await notifier.driftFound(ws, lines.map((e) => e.id), { day });
      return lines.length;
    } catch (err) {
      await state.releaseDigest(ws.id, day).catch(() => {});
      throw err;
    }
  }

  /** The workspace's drift lines from `since` to `until`, oldest first (read a page of the history at a time). */
  async list(workspaceId: string, since: Date, until: Date): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    for (let afterSeq = 0; ;) {
      const page = await this.deps.store.history.listByWorkspace(workspaceId, { afterSeq, limit: 500, since, until });
      for (const e of page) if (isDriftAction(e.action)) out.push(e);
      if (page.length < 500) return out;
      afterSeq = page[page.length - 1]!.seq;
    }
  }

  /** The last DRIFT_LIST_DAYS days' drift, newest first: `/permission drift`. */
  async recent(workspaceId: string): Promise<HistoryEntry[]> {
    const now = this.deps.clock.now();
    return (await this.list(workspaceId, new Date(now.getTime() - DRIFT_LIST_DAYS * DAY_MS), new Date(now.getTime() + 1))).reverse();
  }
}
