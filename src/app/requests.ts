/**
 * The approval flow: submit a request, decide it, apply it. Every state change of a request is a
 * compare-and-set on (status, version), so double clicks, Slack retries, concurrent approvers and
 * duplicated jobs each change a request at most once; losing a race is reported, never repeated.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Codes, DomainError, isDomainError } from '../domain/errors.js';
import { connectedRefusal } from './connected-workspaces.js';
import type { ChangeRequest, NewRequest, RequestOrigin } from '../domain/request.js';
import { technicalUserIdOf, technicalUserStandingLost } from '../domain/api-requester.js';
import { authorityLost, decide, isGrantRequest, isSystemRequester, reminderDueAt, SYSTEM_REQUESTER } from '../domain/request.js';
import { checkBreakGlass, checkReason, escalationDueAt, requestRule } from '../domain/policy.js';
import { checkGrantPolicy } from '../domain/grant.js';
import type { Workspace } from '../domain/workspace.js';
import { DEFAULT_POLICY, isAdmin } from '../domain/workspace.js';
import type { RequestHandler } from './handlers.js';
import { RequestMessages } from './request-messages.js';
import { RequestSweeps } from './request-sweeps.js';
import type { ApplyQueue, Clock, Log, Notifier, Store } from './ports.js';
import { MAX_REJECTION_REASON, recordRejection } from './rejections.js';
import { retiredReason } from './retired-workspaces.js';
import { Policies } from './policies.js';
import { approveAtOnce } from './instant-approval.js';
import { noGroups } from './ports/directory.js';
import { namesTechnicalUser, withTechnicalUserId } from './technical-user-subject.js';
import type { Identities } from './identity.js';
import { tellSubject } from './subject-notice.js';

export interface SubmitInput {
  workspace: Workspace;
  requester: string;
  request: NewRequest;
  reason: string | null;
  /** `breakglass`: applied at once where the rule allows it, and reviewed afterwards. */
  breakGlass?: boolean;
  /** Where it came from, when not from Slack itself (shown on the approval message). */
  origin?: RequestOrigin;
}

export interface DecideInput {
  requestId: string;
  actor: string;
  /** The Slack team the click came from; a click from another team is refused. */
  teamId: string;
  verdict: 'approve' | 'reject';
  /** The approval message the click came from. */
  message?: { channel: string; ts: string };
  /** Why, for a rejection: kept as the request's outcome and written to history. */
  reason?: string | null;
}

export interface DecideResult {
  request: ChangeRequest;
  /** False when the queue could not be reached; the outbox sweep will queue it later. */
  queued: boolean;
}

const HOUR = 3600_000;
export { UNPOSTED_AFTER_MS } from './request-sweeps.js';
const SLACK_REF_ATTEMPTS = 3;
const SLACK_REF_RETRY_MS = 100;

export class RequestService {
  constructor(
    private readonly deps: {
      store: Store;
      handlers: { permission: RequestHandler; techuser?: RequestHandler; grant?: RequestHandler };
      notifier: Notifier;
      queue: ApplyQueue;
      clock: Clock;
      log: Log;
      /** Who may decide (policy rules, user groups); without it, rules may name user ids only. */
      policies?: Policies;
      /** Who is who: nobody decides their own permission. Without it (some tests) nobody is matched. */
      identities?: Identities;
      /** Who may still carry out a request made by an access review (its `source`), instead of its approvers. */
      sources?: { authority(r: ChangeRequest, ws: Workspace): Promise<string | null> };
    },
  ) {
    this.messages = new RequestMessages(deps);
    this.sweeps = new RequestSweeps({ ...deps, messages: this.messages });
    this.policies = deps.policies ?? new Policies(noGroups);
  }

  private readonly messages: RequestMessages;
  private readonly sweeps: RequestSweeps;
  readonly policies: Policies;

  /**
   * The checks submit makes, without storing or posting anything: a form answers its field errors
   * with them before it closes, and only then submits.
   */
  async validate({ workspace: ws, requester, request }: Omit<SubmitInput, 'reason'>): Promise<void | Record<string, string>> {
    // Keywarden's own requests (openedBySystem) have no admin behind them; the rules still hold.
    if (!isSystemRequester(requester) && !isAdmin(ws, requester)) {
      throw new DomainError(Codes.NOT_ADMIN, `Only admins of workspace ${ws.name} can request changes.`);
    }
    return this.check(ws, request);
  }

  /** Checks the rules, stores a PENDING request and posts it for approval. */
  async submit({ workspace: ws, requester, request: asked, reason, breakGlass = false, origin }: SubmitInput): Promise<ChangeRequest> {
    const { store, notifier, clock, log } = this.deps;
    // More time on one's own grant is deciding about one's own permission too (app/identity.ts).
    if (asked.kind === 'permission.extend') await this.deps.identities?.refuseOwn(ws, asked, requester, 'extend');
    const seen = await this.validate({ workspace: ws, requester, request: asked });
    // Carried out on the technical user the name means now, never one created later under it.
    // (Other requests go on without an extra await: submit's timing is as it was for them.)
    const request = namesTechnicalUser(asked) ? await withTechnicalUserId(store, ws, asked) : asked;
    const rule = this.policies.rule(ws, request);
    if (breakGlass) checkBreakGlass(rule, ws.policy, request, reason);
    else checkReason(rule, reason);
    const subjectUser = (await this.deps.identities?.subjectUser(ws, request)) ?? null;
    const now = clock.now();
    // No approval needed (the rule says 0, or break-glass): approved at once, in the open.
    const atOnce = rule.approvals === 0 || breakGlass;
    const expiresAt = new Date(now.getTime() + ws.policy.requestTtlHours * HOUR);
    const remindAt = reminderDueAt(now, expiresAt, ws.policy.reminderHoursBeforeExpiry ?? DEFAULT_POLICY.reminderHoursBeforeExpiry!);
    const r = {
      ...request, id: randomUUID(), workspaceId: ws.id, requester, reason, status: 'PENDING', approvals: [],
      decidedBy: null, decidedAt: null, createdAt: now, expiresAt,
      slack: null, outcome: null, appliedAt: null, notifiedAt: null, remindAt, version: 0,
      rule: requestRule(rule), approveAt: atOnce ? now : null, subjectUser, ...(origin && { origin }), ...(seen ? { seen } : {}),
      ...(breakGlass ? { breakGlass: { reviewedBy: null, reviewedAt: null, verdict: null, announce: true } } : { escalateAt: escalationDueAt(rule, now) }),
    } as ChangeRequest;
    await store.requests.insert(r);
    let ref: { channel: string; ts: string } | null;
    try {
      ref = await notifier.requestCreated(r, ws);
    } catch (err) {
      // An approval nobody can see must not stay pending: undo it, and say so.
      log.error({ err, requestId: r.id }, 'could not post the approval message; cancelling the request');
      await store.requests.update(r.id, { status: 'PENDING', version: 0 }, {
        status: 'CANCELLED', outcome: 'The approval message could not be posted.',
      });
      throw new DomainError('SLACK.POST_FAILED', 'Could not post the request to the approvals channel; nothing was requested. Try again.');
    }
    if (!ref) return atOnce ? (await approveAtOnce(this.deps, this.messages, r, ws)).request : r; // the message waits its turn at Slack's rate limit; posted and recorded later
    // Where the message is. Tried a few times: a request left without it looks unposted, and the
    // unposted-request sweep would post it a second time unless a click records it first.
    for (let attempt = 1; ; attempt++) {
      try {
        await store.requests.setSlackRef(r.id, ref);
        break;
      } catch (err) {
        if (attempt < SLACK_REF_ATTEMPTS) {
          await sleep(SLACK_REF_RETRY_MS * attempt);
          continue;
        }
        // The message is out and the request stands; the first click tells us where the message is.
        log.warn({ err, requestId: r.id }, 'could not record where the approval message is');
        break;
      }
    }
    if (atOnce) return (await approveAtOnce(this.deps, this.messages, { ...r, slack: ref }, ws)).request;
    return { ...r, slack: ref };
  }

  /**
   * A request Keywarden opens itself (e.g. deleting a technical user nobody reviewed): checked,
   * stored and posted for approval like any other, with SYSTEM_REQUESTER as its requester.
   */
  openedBySystem(ws: Workspace, request: NewRequest, reason: string): Promise<ChangeRequest> {
    return this.submit({ workspace: ws, requester: SYSTEM_REQUESTER, request, reason });
  }

  /** Rules that can be checked before anyone is asked to approve. */
  private check(ws: Workspace, r: NewRequest): Promise<void | Record<string, string>> {
    // A connected workspace takes only what Keywarden can make in LeanIX (connected-workspaces.ts).
    const refused = connectedRefusal(ws, r);
    if (refused) return Promise.reject(refused);
    // A permanent role: the workspace may allow some roles only for a time (grants check their own).
    if (!isGrantRequest(r) && 'role' in r.params) checkGrantPolicy(ws.policy, ws.name, r.params.role, null);
    return this.handlerFor(r).check(ws, r);
  }

  private handlerFor(r: NewRequest): RequestHandler {
    const { handlers } = this.deps;
    const h = isGrantRequest(r) ? handlers.grant : r.kind.startsWith('permission.') ? handlers.permission : handlers.techuser;
    if (!h) throw new Error(`no handler for ${r.kind}`);
    return h;
  }

  /** Records an approver's click. The first decisive click wins; the rest are told what happened. */
  async decide(input: DecideInput): Promise<DecideResult> {
    const { store, queue, clock, log } = this.deps;
    for (let attempt = 0; attempt < 10; attempt++) {
      const r = await store.requests.findById(input.requestId);
      if (!r) throw new DomainError(Codes.REQUEST_NOT_FOUND, 'That request does not exist.');
      const ws = await store.workspaces.findById(r.workspaceId);
      if (!ws || ws.slack.teamId !== input.teamId) {
        throw new DomainError(Codes.WRONG_TEAM, 'That request does not belong to this Slack team.');
      }
      let decision;
      try {
        const deciders = await this.policies.deciders(ws, r, clock.now());
        decision = decide(r, deciders, input.actor, input.verdict, clock.now());
        await this.deps.identities?.refuseOwn(ws, r, input.actor, input.verdict);
      } catch (err) {
        if (isDomainError(err) && err.code === Codes.REQUEST_EXPIRED) await this.sweeps.expire(r, ws);
        if (isDomainError(err) && err.code === Codes.REQUEST_NOT_PENDING && r.decidedBy) {
          throw new DomainError(err.code, `${err.message.replace(/\.$/, '')} (decided by <@${r.decidedBy}>).`);
        }
        throw err;
      }
      const reason = input.verdict === 'reject' ? input.reason?.trim().slice(0, MAX_REJECTION_REASON) || null : null;
      const changed = await store.requests.update(r.id, { status: 'PENDING', version: r.version }, reason ? { ...decision, outcome: reason } : decision);
      if (!changed) continue; // another click changed it first: re-read and decide against that
      if (changed.status === 'REJECTED') {
        await recordRejection(store, changed, clock.now()).catch((err: unknown) =>
          log.error({ err, requestId: changed.id }, 'could not write the history line of a rejection'),
        );
      }
      const updated = changed.slack || !input.message ? changed : await this.adoptMessage(changed, input.message);
      let queued = false;
      if (updated.status === 'APPROVED') {
        try {
          await queue.enqueue(updated.id);
          queued = true;
        } catch (err) {
          log.warn({ err, requestId: updated.id }, 'queue unavailable; the outbox sweep will queue this request');
        }
      }
      // The decision is made and stands: a failure to tell anyone about it is logged and recorded,
      // never answered as if nothing had happened.
      await this.messages.tell(updated, ws, updated.status === 'REJECTED', true).catch((err: unknown) =>
        log.error({ err, requestId: updated.id }, 'could not tell anyone about a decision'),
      );
      return { request: updated, queued };
    }
    throw new DomainError(Codes.REQUEST_NOT_PENDING, 'This request is being decided by others right now; look again.');
  }

  /** The click came from the approval message: remember where it is if that was never stored. */
  private async adoptMessage(r: ChangeRequest, message: { channel: string; ts: string }): Promise<ChangeRequest> {
    await this.deps.store.requests.setSlackRef(r.id, message).catch((err: unknown) =>
      this.deps.log.warn({ err, requestId: r.id }, 'could not record where the approval message is'),
    );
    return { ...r, slack: message };
  }

  /**
   * Carries out an approved request (called by the queue worker, possibly more than once for the
   * same request). Rule violations mark the request FAILED and are rethrown as DomainError, which
   * the worker must not retry; anything else is rethrown for the queue to retry.
   */
  async apply(requestId: string): Promise<ChangeRequest | null> {
    const { store, log } = this.deps;
    const r = await store.requests.findById(requestId);
    if (!r) return null;
    const ws = await store.workspaces.findById(r.workspaceId);
    if (!ws) {
      // A retired workspace's record is kept, so its people can still be told.
      const retired = await store.workspaces.findRecord(r.workspaceId);
      const reason = retired ? retiredReason(retired) : 'The request belongs to a workspace that no longer exists.';
      const failed = await store.requests.update(r.id, { status: 'APPROVED', version: r.version }, { status: 'FAILED', outcome: reason });
      if (failed && retired) await this.messages.tell(failed, retired, true, true).catch(() => undefined);
      throw new DomainError(Codes.WORKSPACE_NOT_FOUND, reason);
    }
    if (r.status === 'APPLIED' || r.status === 'FAILED') {
      // Done before; if the outcome was never told (the last run died after applying), tell it now.
      if (!r.notifiedAt) await this.tellOrRetry(r, ws);
      return r;
    }
    if (r.status !== 'APPROVED') return r;
    let outcome: string;
    try {
      // Groups are read before anything is changed; a Slack that cannot say is passing trouble,
      // retried by the queue (a plain error), never a reason to fail the request for good.
      const deciders = await this.policies.deciders(ws, r, this.deps.clock.now()).catch((err: unknown) => {
        throw new Error(`could not check who may approve request ${r.id}`, { cause: err });
      });
      // People change between a decision and its job (a seed change, someone leaving): whoever
      // asked and approved must still hold that right when the change is made. Checked by the
      // handler once it knows the change is not made yet: a re-run of a change made while they
      // still held it finishes as APPLIED.
      const own = await this.deps.identities?.ownApproval(ws, r);
      const sourced = r.source ? ((await this.deps.sources?.authority(r, ws)) ?? null) : undefined;
      // A technical user that asked over the API with nobody behind it: its own standing, read now.
      const techUserId = technicalUserIdOf(r.requester);
      const asker = techUserId ? technicalUserStandingLost(r, await store.technicalUsers.findById(techUserId), this.deps.clock.now()) : null;
      outcome = await this.handlerFor(r).carryOut(r, ws, () => {
        const lost = own ?? asker ?? (sourced !== undefined ? sourced : authorityLost(r, ws, deciders));
        if (lost) throw new DomainError(Codes.AUTHORITY_LOST, lost);
      });
    } catch (err) {
      if (!isDomainError(err)) throw err;
      await this.finish(r, ws, 'FAILED', err.message);
      throw err;
    }
    log.info({ requestId: r.id, kind: r.kind }, 'request applied');
    return this.finish(r, ws, 'APPLIED', outcome);
  }

  /** Marks a request FAILED after the queue gave up retrying it. */
  async giveUp(requestId: string, reason: string): Promise<void> {
    const r = await this.deps.store.requests.findById(requestId);
    if (!r) return;
    if (r.status !== 'APPROVED') {
      // Applied (or failed) long ago, but every attempt to tell the requester failed: the change
      // stands, and the message that never went out is recorded for the operator.
      if ((r.status === 'APPLIED' || r.status === 'FAILED') && !r.notifiedAt) await this.messages.noteUndelivered(r, 'requester-dm', reason);
      return;
    }
    const ws = await this.deps.store.workspaces.findById(r.workspaceId);
    if (ws) await this.finish(r, ws, 'FAILED', reason, false);
  }

  /** `retry` false: no queue retry follows (the last attempt), so a failed DM is recorded instead. */
  private async finish(r: ChangeRequest, ws: Workspace, status: 'APPLIED' | 'FAILED', outcome: string, retry = true) {
    const now = this.deps.clock.now();
    const done = await this.deps.store.requests.update(r.id, { status: 'APPROVED', version: r.version }, {
      status, outcome, appliedAt: status === 'APPLIED' ? now : null,
    });
    // A null here means another run finished it first; that run tells the people.
    if (done) await tellSubject(this.deps, done, ws);
    if (done && retry) await this.tellOrRetry(done, ws);
    else if (done) await this.messages.tell(done, ws, true, true);
    return done ?? (await this.deps.store.requests.findById(r.id));
  }

  /**
   * In a queue job: the change is done, but if the requester could not be told, fail the job so
   * the queue runs it again; the next run finds the request finished and only sends the DM.
   */
  private async tellOrRetry(r: ChangeRequest, ws: Workspace) {
    if (!(await this.messages.tell(r, ws, true))) throw new Error(`request ${r.id} is ${r.status} but the requester could not be told yet`);
  }

  /** The scheduled sweeps over requests (request-sweeps.ts), here so callers keep one service. */
  expirePending(limit?: number): Promise<number> {
    return this.sweeps.expirePending(limit);
  }

  remindApprovers(limit?: number): Promise<number> {
    return this.sweeps.remindApprovers(limit);
  }

  postUnposted(olderThanMs?: number, limit?: number): Promise<number> {
    return this.sweeps.postUnposted(olderThanMs, limit);
  }

  sweepApproved(olderThanMs?: number, limit?: number): Promise<number> {
    return this.sweeps.sweepApproved(olderThanMs, limit);
  }
}
