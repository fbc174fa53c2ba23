/**
 * Owners of technical users and their periodic reviews (domain/ownership-review.ts). The scan
 * reads the records with a step due, claims each step with a compare-and-set on the record's
 * version, and only then sends its message, so any number of scans, concurrent or repeated, take
 * each step once; a message that could not be sent hands the step back for the next scan.
 */
import { appliedChange, remember, type AppliedChange } from '../domain/applied.js';
import { Codes, DomainError } from '../domain/errors.js';
import {
  dueStep, isUnreviewed, newOwnership, newPeriod, reviewPolicy, type OwnerSource, type OwnershipRecord, type ReviewStep,
} from '../domain/ownership-review.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import { DEFAULT_POLICY, isAdmin, type Workspace } from '../domain/workspace.js';
import type { Clock, Log, Notifier, ReviewNotifier, Store } from './ports.js';
import type { RequestService } from './requests.js';

const CAS_ATTEMPTS = 5;
const policyOf = (ws: Workspace | null) => reviewPolicy(ws?.policy ?? DEFAULT_POLICY);

export class OwnershipReviewService {
  constructor(
    private readonly deps: {
      store: Store; notifier: Notifier; reviews: ReviewNotifier; requests: Pick<RequestService, 'openedBySystem'>; clock: Clock; log: Log;
    },
  ) {}

  /**
   * The record of a technical user, made if it has none: owned by `owner` when given (the
   * requester of its creation), else by whoever history says asked for its creation, else by
   * nobody (shown as unowned, and its reviews go to the notification channels).
   */
  async adopt(tu: Pick<TechnicalUser, 'id' | 'workspaceId' | 'userName' | 'createdAt'>, owner?: string): Promise<OwnershipRecord> {
    const { store, clock } = this.deps;
    const existing = await store.ownership.findById(tu.id);
    if (existing) return existing;
    const found: { owner: string | null; source: OwnerSource } = owner ? { owner, source: 'creator' } : await this.creatorOf(tu);
    const ws = await store.workspaces.findById(tu.workspaceId);
    const policy = policyOf(ws);
    // The period runs from the creation, so a technical user that predates reviews is asked when
    // its first period is over, not a full period after the upgrade.
    const record = newOwnership(tu, found.owner, found.source, tu.createdAt ?? clock.now(), policy);
    await store.ownership.insertIfAbsent(record);
    return (await store.ownership.findById(tu.id)) ?? record;
  }

  /** Who asked for the creation: the create request (its id is the technical user's), else history's created line. */
  private async creatorOf(tu: Pick<TechnicalUser, 'id'>): Promise<{ owner: string | null; source: OwnerSource }> {
    const { store } = this.deps;
    const request = await store.requests.findById(tu.id);
    if (request?.kind === 'techuser.create') return { owner: request.requester, source: 'creator' };
    const lines = await store.history.listBySubject('technicalUser', tu.id, 500);
    const created = lines.find((l) => l.action === 'techuser.created' && l.actor.type === 'slack');
    return created?.actor.type === 'slack' ? { owner: created.actor.id, source: 'history' } : { owner: null, source: 'none' };
  }

  /** Gives every technical user without a record one (those made before reviews existed). Returns how many. */
  async adoptAll(): Promise<number> {
    let adopted = 0;
    for (const ws of await this.deps.store.workspaces.list()) {
      const known = new Set((await this.deps.store.ownership.listByWorkspace(ws.id)).map((r) => r.id));
      for (const tu of await this.deps.store.technicalUsers.list(ws.id)) {
        if (known.has(tu.id)) continue;
        await this.adopt(tu);
        adopted++;
      }
    }
    return adopted;
  }

  /** Takes every review step that is due; returns how many messages (or delete requests) it sent. */
  async scan(limit = 200): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const workspaces = new Map<string, Workspace | null>();
    let acted = 0;
    // Active workspaces only: a retired one's due records would take every place of the page
    // (their steps are not taken, so their due time never moves) and starve the others.
    const active = (await store.workspaces.list()).map((w) => w.id);
    for (const rec of await store.ownership.listDue(now, limit, active)) {
      if (!workspaces.has(rec.workspaceId)) workspaces.set(rec.workspaceId, await store.workspaces.findById(rec.workspaceId));
      const ws = workspaces.get(rec.workspaceId);
      if (!ws) continue;
      const tu = await store.technicalUsers.findById(rec.id);
      if (!tu) {
        // Deleted since: nothing left to review.
        await store.ownership.delete(rec.id);
        continue;
      }
      if (await this.step(rec, ws, tu, now)) acted++;
    }
    return acted;
  }

  private async step(rec: OwnershipRecord, ws: Workspace, tu: TechnicalUser, now: Date): Promise<boolean> {
    const { store, log } = this.deps;
    const step = dueStep(rec, reviewPolicy(ws.policy), now);
    const claimed = await store.ownership.update(rec.id, rec.version, { ...step.fields, userName: tu.userName });
    if (!claimed || step.kind === 'reschedule') return false; // another scan took it, or only the date moved
    try {
      await this.act(step, claimed, ws, tu, now);
      return true;
    } catch (err) {
      log.error({ err, technicalUser: tu.userName, step: step.kind }, 'could not take a review step; the next scan will try again');
      // Hand the step back: the record as it was, due now.
      const { id: _i, workspaceId: _w, version: _v, ...before } = rec;
      await store.ownership.update(claimed.id, claimed.version, { ...before, nextAt: now }).catch(() => undefined);
      return false;
    }
  }

  private async act(step: Exclude<ReviewStep, { kind: 'reschedule' }>, rec: OwnershipRecord, ws: Workspace, tu: TechnicalUser, now: Date) {
    const { reviews, requests, store } = this.deps;
    const subject = { record: rec, technicalUser: tu, now };
    switch (step.kind) {
      case 'ask':
      case 'remind':
        await reviews.askOwner(ws, subject, step.kind === 'remind');
        await this.record(rec, `techuser.review_${step.kind === 'ask' ? 'asked' : 'reminded'}`, now);
        return;
      case 'escalate':
        await reviews.reviewOverdue(ws, subject);
        await this.record(rec, 'techuser.review_overdue', now);
        return;
      case 'request-delete': {
        const r = await requests.openedBySystem(
          ws, { kind: 'techuser.delete', params: { userName: tu.userName } },
          `Nobody confirmed that ${tu.userName} is still needed: unreviewed since ${rec.escalatedAt?.toISOString().slice(0, 10) ?? 'long ago'}.`,
        );
        // The request is open: from here nothing may hand the step back (that would open another).
        await store.ownership.update(rec.id, rec.version, { deleteRequestId: r.id })
          .then(() => this.record(rec, 'techuser.review_delete_requested', now, r.id))
          .catch((err: unknown) => this.deps.log.error({ err, requestId: r.id }, 'opened a delete request for an unreviewed technical user but could not note it'));
        return;
      }
    }
  }

  /**
   * The owner (or an admin of the workspace) confirms the technical user is still needed: a
   * review line in history, and a new period from now.
   */
  async keep(technicalUserId: string, by: string): Promise<{ record: OwnershipRecord; technicalUser: TechnicalUser }> {
    const { store, clock } = this.deps;
    const tu = await store.technicalUsers.findById(technicalUserId);
    if (!tu) throw new DomainError(Codes.TECHUSER_NOT_FOUND, 'That technical user no longer exists.');
    const ws = await store.workspaces.findById(tu.workspaceId);
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const rec = await this.adopt(tu);
      if (rec.owner !== by && !(ws && isAdmin(ws, by))) {
        throw new DomainError(Codes.REVIEW_NOT_OWNER, `Only the owner of ${tu.userName} or an admin of its workspace can confirm it is still needed.`);
      }
      const now = clock.now();
      const kept = await store.ownership.update(rec.id, rec.version, {
        ...newPeriod(now, policyOf(ws)),
        lastReviewedAt: now, lastReviewedBy: by,
      });
      if (!kept) continue;
      await this.record(kept, 'techuser.review_kept', now, null, { type: 'slack', id: by }, `${rec.id}:kept:${now.toISOString()}`);
      return { record: kept, technicalUser: tu };
    }
    throw new DomainError(Codes.REVIEW_BUSY, `The review of ${tu.userName} was changing at the same time; try again.`);
  }

  /**
   * A transfer approved and applied: the new owner, and a new period (the approvers reviewed it).
   * Once per request whatever happened since: the request id is remembered on the record in the
   * same compare-and-set as the owner (domain/applied.ts), so a re-run after a later transfer
   * finds its own and changes nothing (answering the owner it replaced then). `mayChange` throws
   * when the transfer may no longer be made; it is asked only when the transfer is still to make.
   */
  async transfer(tu: TechnicalUser, owner: string, requestId: string, mayChange: () => void = () => {}): Promise<{ before: string | null; record: OwnershipRecord }> {
    const { store, clock } = this.deps;
    const ws = await store.workspaces.findById(tu.workspaceId);
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const rec = await this.adopt(tu);
      const made = appliedChange(rec.applied, requestId);
      if (made) return { before: ownerIn(made.before), record: rec };
      if (rec.owner === owner) return { before: owner, record: rec };
      mayChange();
      const now = clock.now();
      const entry: AppliedChange = { id: requestId, at: now, before: { owner: rec.owner }, after: { owner } };
      const moved = await store.ownership.update(rec.id, rec.version, {
        ...newPeriod(now, policyOf(ws)),
        owner, ownerSource: 'transfer', applied: remember(rec.applied, entry),
      });
      if (moved) return { before: rec.owner, record: moved };
    }
    throw new DomainError(Codes.REVIEW_BUSY, `The owner of ${tu.userName} was changing at the same time; try again.`);
  }

  /** The records of a workspace by technical user id (for /techuser list and the Home tab). */
  async byTechnicalUser(workspaceId: string): Promise<Map<string, OwnershipRecord>> {
    return new Map((await this.deps.store.ownership.listByWorkspace(workspaceId)).map((r) => [r.id, r]));
  }

  private record(
    rec: OwnershipRecord, action: string, now: Date, requestId: string | null = null,
    actor: { type: 'slack'; id: string } | { type: 'system' } = { type: 'system' }, id?: string,
  ): Promise<void> {
    // One line per step and period: the period's start makes the id, so a retried step writes it once.
    return this.deps.store.history.append({
      id: id ?? `${rec.id}:${action}:${rec.periodStart.toISOString()}`, workspaceId: rec.workspaceId,
      subject: { type: 'technicalUser', id: rec.id, label: rec.userName }, action, actor, requestId, approvers: [],
      before: null, after: { owner: rec.owner, stage: rec.stage, unreviewed: isUnreviewed(rec) }, at: now,
    });
  }
}

/** The owner a remembered transfer replaced. */
const ownerIn = (before: Record<string, unknown> | null): string | null => (typeof before?.owner === 'string' ? before.owner : null);
