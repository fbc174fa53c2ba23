/**
 * Requests made over the HTTP API by a technical user (a script, a pipeline), decided in Slack
 * like any other. An ADMIN technical user may ask for every kind a slash command can; any
 * technical user may ask to rotate its own token. `onBehalfOf` names the admin the request is
 * for, who is then its requester (so they cannot approve it) and the one a new token is revealed
 * to in Slack. Without it the technical user itself is the requester: nobody in Slack.
 */
import { Codes, DomainError } from '../domain/errors.js';
import { namedDeciders, ruleName } from '../domain/policy.js';
import {
  technicalUserRequester, TOKEN_KINDS, type ChangeRequest, type NewRequest, type RequestStatus,
} from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import { isAdmin } from '../domain/workspace.js';
import { assertMayRead, type Principal } from './access-tokens.js';
import { decidersLabel } from './policies.js';
import type { Clock, Log, Store } from './ports.js';
import type { RequestService } from './requests.js';
import type { TechnicalUserService } from './technical-users.js';

export interface ApiRequestInput {
  request: NewRequest;
  reason: string | null;
  breakGlass: boolean;
  /** Slack user id of the admin the request is made for. */
  onBehalfOf?: string;
}

/** Who may decide a request, as its rule names them. */
export interface DecidersView {
  rule: string;
  approvals: number;
  approvers: string[];
  label: string;
}

export interface ApiSubmitted {
  request: ChangeRequest;
  deciders: DecidersView;
  /** The new token of a self-rotation carried out before the answer: shown this once, never kept. */
  token: string | null;
}

export interface RequestPage {
  requests: ChangeRequest[];
  /** Where the next page starts (the last request of this one); null on the last page. */
  next: { createdAt: Date; id: string } | null;
}

export const REQUEST_PAGE_DEFAULT = 50;
export const REQUEST_PAGE_MAX = 200;

export class ApiRequestService {
  constructor(private readonly deps: { store: Store; requests: RequestService; technicalUsers: TechnicalUserService; clock: Clock; log: Log }) {}

  async submit(caller: Principal, workspaceId: string, input: ApiRequestInput): Promise<ApiSubmitted> {
    const { requests, clock } = this.deps;
    const ws = await this.workspace(caller, workspaceId);
    const { request } = input;
    const selfRotation = request.kind === 'techuser.rotate' && request.params.userName === caller.userName;
    if (!selfRotation && caller.role !== 'ADMIN') {
      throw new DomainError(Codes.ROLE_TOO_LOW, `Technical user ${caller.userName} is ${caller.role}; only ADMIN technical users may request changes (any technical user may rotate its own token).`);
    }
    if (input.onBehalfOf !== undefined && !isAdmin(ws, input.onBehalfOf)) {
      throw new DomainError(Codes.NOT_ADMIN, `<@${input.onBehalfOf}> is not an admin of workspace ${ws.name}; onBehalfOf must name one of its admins.`);
    }
    const rule = requests.policies.rule(ws, request);
    const atOnce = rule.approvals === 0 || input.breakGlass;
    // A new token is shown once to a person in Slack, or (a rotation of one's own, made at once)
    // in the answer. Without a person named, nobody could ever see it.
    const inAnswer = selfRotation && atOnce;
    if (TOKEN_KINDS.includes(request.kind) && !inAnswer && input.onBehalfOf === undefined) {
      throw new DomainError(Codes.NOT_ADMIN, 'The new token of this request is revealed in Slack to the admin it is made for: name them in onBehalfOf (a Slack user id).');
    }
    const requester = input.onBehalfOf ?? technicalUserRequester(caller.technicalUserId);
    const origin = { via: 'api', technicalUser: { id: caller.technicalUserId, userName: caller.userName } } as const;
    let r = await requests.submit({ workspace: ws, requester, request, reason: input.reason, breakGlass: input.breakGlass, origin });
    let token: string | null = null;
    if (inAnswer) ({ request: r, token } = await this.rotateNow(r, caller));
    return { request: r, deciders: this.deciders(ws, r, clock.now()), token };
  }

  /**
   * Carries out a self-rotation now (the worker may be doing the same: apply is idempotent) and
   * takes its token for the answer. The token is claimed and its sealed copy destroyed before the
   * answer is written: an answer lost on the way is the one case where a person must rotate again.
   */
  private async rotateNow(r: ChangeRequest, caller: Principal): Promise<{ request: ChangeRequest; token: string | null }> {
    const { requests, technicalUsers, store, log } = this.deps;
    let done: ChangeRequest | null = null;
    try {
      done = await requests.apply(r.id);
    } catch (err) {
      // A rule broken meanwhile is the caller's answer; anything else (the DM could not be sent,
      // a store hiccup) is read back: the change may stand all the same.
      if (err instanceof DomainError) throw err;
      log.warn({ err, requestId: r.id }, 'a self-rotation could not be finished before the answer; the queue finishes it');
      done = await store.requests.findById(r.id);
    }
    if (done?.status !== 'APPLIED') return { request: done ?? r, token: null };
    const shown = await technicalUsers.revealToItself(r.id, r.requester, { id: caller.technicalUserId, name: caller.userName }).catch((err: unknown) => {
      log.warn({ err, requestId: r.id }, 'the new token of a self-rotation could not be taken for the answer');
      return null;
    });
    if (!shown) return { request: done, token: null };
    await shown.done();
    return { request: done, token: shown.token };
  }

  async get(caller: Principal, workspaceId: string, requestId: string): Promise<{ request: ChangeRequest; deciders: DecidersView }> {
    const ws = await this.workspace(caller, workspaceId);
    const r = await this.deps.store.requests.findById(requestId);
    // Another workspace's request is as absent as one that never was.
    if (!r || r.workspaceId !== ws.id || !this.mayRead(caller, r)) {
      throw new DomainError(Codes.REQUEST_NOT_FOUND, 'There is no such request in this workspace.');
    }
    return { request: r, deciders: this.deciders(ws, r, this.deps.clock.now()) };
  }

  /** A workspace's requests, newest first, optionally of one status; ADMIN technical users only. */
  async list(caller: Principal, workspaceId: string, status: RequestStatus | undefined, after: RequestPage['next'], limit = REQUEST_PAGE_DEFAULT): Promise<RequestPage> {
    const ws = await this.workspace(caller, workspaceId);
    if (caller.role !== 'ADMIN') {
      throw new DomainError(Codes.ROLE_TOO_LOW, `Technical user ${caller.userName} is ${caller.role}; only ADMIN technical users may list requests.`);
    }
    const n = Math.min(Math.max(1, Math.floor(limit)), REQUEST_PAGE_MAX);
    const found = await this.deps.store.requests.listByWorkspace(ws.id, { status, limit: n, ...(after && { before: after }) });
    const last = found.at(-1);
    return { requests: found, next: found.length < n || !last ? null : { createdAt: last.createdAt, id: last.id } };
  }

  /** Who may decide it under its rule as it stands now (user groups by id; escalation included). */
  deciders(ws: Workspace, r: ChangeRequest, now: Date): DecidersView {
    const rule = this.deps.requests.policies.rule(ws, r);
    const named = namedDeciders(rule, r.createdAt, now);
    return { rule: ruleName(rule.index), approvals: r.breakGlass ? 0 : rule.approvals, approvers: named, label: decidersLabel(ws, rule, named) };
  }

  /** An ADMIN reads every request of its workspace; any technical user reads the ones it made. */
  private mayRead(caller: Principal, r: ChangeRequest): boolean {
    return caller.role === 'ADMIN' || (r.origin?.via === 'api' && r.origin.technicalUser.id === caller.technicalUserId);
  }

  private async workspace(caller: Principal, workspaceId: string): Promise<Workspace> {
    assertMayRead(caller, workspaceId);
    const ws = await this.deps.store.workspaces.findById(workspaceId);
    if (!ws) throw new DomainError(Codes.WORKSPACE_NOT_FOUND, 'There is no such workspace.');
    return ws;
  }
}
