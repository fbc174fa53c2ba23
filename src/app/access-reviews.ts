/**
 * Access-review campaigns (domain/access-review.ts): started by schedule (once per campaign and
 * period however many workers run: the campaign's id is its period's, inserted if absent) or by
 * `/permission review start`, stopped by `/permission review stop`, reported by `status`. Each
 * reviewer is told once at the start (a claimed step per reviewer). Decisions are in
 * access-review-decisions.ts, reminders and the due date in access-review-closing.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { openKey, periodOf, type AccessReviewDefinition, type Campaign } from '../domain/access-review.js';
import { Codes, DomainError } from '../domain/errors.js';
import { SYSTEM_REQUESTER } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import { isAdmin, isApprover } from '../domain/workspace.js';
import { recordStart } from './access-review-history.js';
import { snapshot } from './access-review-snapshot.js';
import type { Identities } from './identity.js';
import type { Policies } from './policies.js';
import type { AccessReviewNotifier, ApplyQueue, Clock, ItemCounts, Log, Store } from './ports.js';

const DAY = 86_400_000;

export interface AccessReviewDeps {
  store: Store;
  clock: Clock;
  log: Log;
  policies: Policies;
  identities: Identities;
  notifier: AccessReviewNotifier;
  queue: ApplyQueue;
}

export interface CampaignStatus {
  campaign: Campaign;
  counts: ItemCounts;
  /** The only reviewer is the subject of an item: nobody can review that one (its email). */
  selfOnly: string | null;
}

export class AccessReviewService {
  constructor(private readonly deps: AccessReviewDeps) {}

  /** Starts every scheduled campaign whose period has none yet. Returns how many were started. */
  async startDue(): Promise<number> {
    const { store, clock, log } = this.deps;
    let n = 0;
    for (const ws of await store.workspaces.list()) {
      for (const def of ws.policy.accessReviews ?? []) {
        const period = periodOf(def, clock.now());
        if (await store.accessReviews.findCampaign(scheduledId(ws.id, def.name, period))) continue;
        try {
          if (await this.begin(ws, def, SYSTEM_REQUESTER, period)) n++;
        } catch (err) {
          log.error({ err, workspace: ws.name, review: def.name }, 'could not start a scheduled access review');
        }
      }
    }
    // A start cut short (the worker stopped) is finished: its items stored, its reviewers told.
    for (const c of await store.accessReviews.listOpen(200)) {
      if (c.ready && c.steps['announced']) continue;
      const ws = await store.workspaces.findById(c.workspaceId);
      if (ws) await this.finishStart(ws, c).catch((err: unknown) => log.error({ err, campaign: c.id }, 'could not finish starting an access review'));
    }
    return n;
  }

  /** `/permission review start <name>`: approvers and admins. */
  async start(ws: Workspace, name: string, by: string): Promise<Campaign> {
    if (!isAdmin(ws, by) && !isApprover(ws, by)) throw new DomainError(Codes.NOT_ADMIN, `Only admins and approvers of ${ws.name} can start an access review.`);
    const def = definition(ws, name);
    const started = await this.begin(ws, def, by, null);
    if (!started) {
      const open = await this.deps.store.accessReviews.findOpen(ws.id, def.name);
      throw new DomainError(Codes.REVIEW_BUSY, `Access review ${def.name} is already open${open ? ` (due ${open.dueAt.toISOString().slice(0, 10)})` : ''}; stop it first to start it again.`);
    }
    return started;
  }

  /** The workspace's campaigns (open ones, and the latest of each name), or the one named. */
  async status(ws: Workspace, name?: string): Promise<CampaignStatus[]> {
    const { store } = this.deps;
    if (name !== undefined) definition(ws, name);
    const latest = new Map<string, Campaign>();
    for (const c of await store.accessReviews.listCampaigns(ws.id, { limit: 50 })) {
      if ((name === undefined || c.name === name) && !latest.has(c.name)) latest.set(c.name, c);
    }
    const out: CampaignStatus[] = [];
    for (const c of latest.values()) out.push({ campaign: c, counts: await store.accessReviews.countItems(c.id), selfOnly: await this.selfOnly(ws, c) });
    return out;
  }

  /** How many items `reviewer` has to review in `c`: all but their own. */
  async itemsFor(ws: Workspace, c: Campaign, reviewer: string, undecided: number): Promise<number> {
    const own = await this.ownItem(ws, c, reviewer);
    return Math.max(0, undecided - (own && !own.decision ? 1 : 0));
  }

  /** The item about `reviewer` in `c`, when Keywarden knows who they are. */
  async ownItem(ws: Workspace, c: Campaign, reviewer: string) {
    const who = await this.deps.identities.emailOf(ws, reviewer);
    return who.known ? this.deps.store.accessReviews.findItemByEmail(c.id, who.email) : null;
  }

  private async selfOnly(ws: Workspace, c: Campaign): Promise<string | null> {
    if (c.reviewers.length !== 1) return null;
    const own = await this.ownItem(ws, c, c.reviewers[0]!);
    return own ? own.email : null;
  }

  /** Inserts the campaign (false when its period's or an open one of its name exists), then its items and DMs. */
  private async begin(ws: Workspace, def: AccessReviewDefinition, by: string, period: number | null): Promise<Campaign | null> {
    const { store, clock, policies } = this.deps;
    const now = clock.now();
    const reviewers = [...(await policies.people(def.reviewers.length ? def.reviewers : ws.approvers, ws))];
    const { name: _n, everyDays: _e, ...definitionOf } = def;
    const c: Campaign = {
      id: period === null ? randomUUID() : scheduledId(ws.id, def.name, period), workspaceId: ws.id, name: def.name, period,
      status: 'OPEN', openKey: openKey(ws.id, def.name), definition: definitionOf, reviewers, startedBy: by, startedAt: now,
      dueAt: new Date(now.getTime() + def.dueDays * DAY), ready: false, itemCount: 0, closedAt: null, closedBy: null, closing: null,
      steps: {}, version: 0,
    };
    if (!(await store.accessReviews.insertCampaign(c))) return null;
    this.deps.log.info({ workspace: ws.name, review: c.name, campaign: c.id }, 'access review started');
    return this.finishStart(ws, c);
  }

  /** Items stored, the start recorded, each reviewer told once. Safe to run again. */
  private async finishStart(ws: Workspace, c: Campaign): Promise<Campaign> {
    const { store, clock, notifier, log } = this.deps;
    let current = c;
    if (!current.ready) {
      const itemCount = await snapshot(store, current);
      current = (await store.accessReviews.updateCampaign(c.id, c.version, { ready: true, itemCount })) ?? (await store.accessReviews.findCampaign(c.id)) ?? current;
      await recordStart(store, current, current.startedAt);
    }
    const counts = await store.accessReviews.countItems(current.id);
    let told = true;
    for (const reviewer of current.reviewers) {
      const step = `ask-${reviewer}`;
      if (!(await store.accessReviews.claimStep(current.id, step, clock.now()))) continue;
      try {
        await notifier.tellReviewer(ws, current, reviewer, 'ask', await this.itemsFor(ws, current, reviewer, counts.undecided));
      } catch (err) {
        told = false;
        await store.accessReviews.releaseStep(current.id, step).catch(() => undefined);
        log.warn({ err, campaign: current.id, reviewer }, 'could not tell a reviewer of an access review; the sweep tries again');
      }
    }
    if (told) await store.accessReviews.claimStep(current.id, 'announced', clock.now());
    return (await store.accessReviews.findCampaign(current.id)) ?? current;
  }
}

/**
 * The id of a scheduled campaign: the same for every worker that starts it in that period, and a
 * UUID like every other id (RFC 9562 version 8, from SHA-256), so buttons and URLs take it as one.
 */
export function scheduledId(workspaceId: string, name: string, period: number): string {
  const h = createHash('sha256').update(`${workspaceId}\u0000${name}\u0000${period}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The workspace's access review of that name, or a refusal that lists the names it has. */
export function definition(ws: Workspace, name: string): AccessReviewDefinition {
  const defs = ws.policy.accessReviews ?? [];
  const def = defs.find((d) => d.name === name);
  if (def) return def;
  const known = defs.map((d) => d.name).join(', ');
  throw new DomainError(Codes.REVIEW_NOT_FOUND, `Workspace ${ws.name} has no access review named "${name.slice(0, 64)}"${known ? ` (it has ${known})` : ' (its policy defines none)'}.`);
}


