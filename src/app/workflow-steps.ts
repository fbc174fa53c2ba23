/**
 * The Workflow Builder step "Request a LeanIX role": a request made by the person who started the
 * workflow, decided in Slack like any other, and the step completed when the request ends, however
 * long that takes and whichever process sees it. The step's execution id is kept on the request
 * (its origin); the step is completed from the request's end (the one telling of its requester,
 * RequestMessages), claimed once per request, so two processes never complete it twice. The
 * completion is a message of the outbound path (paced, queued through a 429 or a restart, sent
 * once); what it says is `stepCompletion`, read from the request when it is sent.
 */
import { isDomainError } from '../domain/errors.js';
import type { Role } from '../domain/permission.js';
import { isFinal, type ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import type { Clock, Log, Notifier, Store } from './ports.js';
import type { RequestService } from './requests.js';

/**
 * Completing the step of a request that ended, in Slack workspace `teamId`: resolves once it is
 * sent or queued to be sent (then it is the queue's), rejects when it could be neither.
 */
export interface StepCompleter {
  complete(r: ChangeRequest, teamId: string): Promise<void>;
}

/** The Slack call that completes a request's step: success with its outputs when applied, else an error with the reason. */
export type StepCompletion =
  | { method: 'functions.completeSuccess'; args: { function_execution_id: string; outputs: Record<string, unknown> } }
  | { method: 'functions.completeError'; args: { function_execution_id: string; error: string } };

/** Slack's limit on a step's error text is not published; a long outcome is clipped here. */
const STEP_ERROR_MAX = 1000;

/** Null when the request has no step to complete (not from a workflow) or has not ended. */
export function stepCompletion(r: ChangeRequest): StepCompletion | null {
  if (r.origin?.via !== 'workflow' || !isFinal(r.status)) return null;
  const function_execution_id = r.origin.functionExecutionId;
  if (r.status === 'APPLIED') {
    return { method: 'functions.completeSuccess', args: { function_execution_id, outputs: { request_id: r.id, outcome: 'APPLIED', ...(r.decidedBy && { decided_by: r.decidedBy }) } } };
  }
  return { method: 'functions.completeError', args: { function_execution_id, error: stepError(r).slice(0, STEP_ERROR_MAX) } };
}

/** A Slack user's email, as Slack holds it (users.info); null when Slack has none. */
export interface UserEmails {
  emailOf(slackUserId: string): Promise<string | null>;
}

export const STEP_NOTICE = 'workflow-step';
export type StepOutcome = 'APPLIED' | 'REJECTED' | 'EXPIRED' | 'FAILED';

export interface StepInput {
  functionExecutionId: string;
  workspace: Workspace;
  /** Who started the workflow: the requester. */
  requester: string;
  /** The person the role is for. */
  person: string;
  /** The role change without its email (the person's, from Slack). */
  change: { role: Role; minutes?: number };
  reason: string | null;
}

export class WorkflowSteps {
  /** The completion goes through the outbound path, with the installation of the step's Slack workspace. */
  constructor(private readonly deps: { store: Store; requests: RequestService; completer: StepCompleter; emails: UserEmails; clock: Clock; log: Log }) {}

  /**
   * Makes the request. Resolves with the refusal (the rules' words) when there is none to make,
   * for the step to fail with at once; otherwise the step stays running until the request ends.
   */
  async start(i: StepInput): Promise<{ request: ChangeRequest } | { refused: string }> {
    const email = await this.deps.emails.emailOf(i.person);
    if (!email) return { refused: `Slack has no email address for <@${i.person}>, so their LeanIX user cannot be found.` };
    try {
      const request = await this.deps.requests.submit({
        workspace: i.workspace, requester: i.requester, reason: i.reason,
        request: { kind: 'permission.role', params: { email, ...i.change } },
        origin: { via: 'workflow', functionExecutionId: i.functionExecutionId, workflowUser: i.requester },
      });
      return { request };
    } catch (err) {
      if (isDomainError(err)) return { refused: err.message };
      throw err;
    }
  }

  /**
   * Completes the step of a request that ended (stepCompletion says how). Claimed once per
   * request; handed back when it could be neither sent nor queued, for the caller's retry.
   */
  async finish(r: ChangeRequest, ws: Workspace): Promise<void> {
    const { store, completer, clock, log } = this.deps;
    if (!stepCompletion(r)) return;
    if (!(await store.requests.claimNotice(r.id, STEP_NOTICE, clock.now()))) return;
    try {
      await completer.complete(r, ws.slack.teamId);
      log.info({ requestId: r.id, status: r.status }, 'workflow step completion sent');
    } catch (err) {
      await store.requests.releaseNotice(r.id, STEP_NOTICE).catch(() => undefined);
      throw err;
    }
  }
}

/** The outcome a step reports for a request that ended. */
export function stepOutcome(r: Pick<ChangeRequest, 'status'>): StepOutcome {
  return r.status === 'APPLIED' ? 'APPLIED' : r.status === 'REJECTED' ? 'REJECTED' : r.status === 'EXPIRED' ? 'EXPIRED' : 'FAILED';
}

/** Why the step failed, as plain text (Slack shows it in the workflow's activity). */
function stepError(r: ChangeRequest): string {
  const outcome = stepOutcome(r);
  switch (r.status) {
    case 'REJECTED':
      return `${outcome}: rejected by <@${r.decidedBy}>${r.outcome ? `: ${r.outcome}` : '.'} (request ${r.id})`;
    case 'EXPIRED':
      return `${outcome}: nobody decided in time. (request ${r.id})`;
    case 'CANCELLED':
      return `${outcome}: cancelled. ${r.outcome ?? ''} (request ${r.id})`;
    default:
      return `${outcome}: approved, but it could not be applied: ${r.outcome ?? 'unknown reason'} (request ${r.id})`;
  }
}

/**
 * The notifier, with the step of a workflow request completed where its requester is told it
 * ended: that telling happens once per request and is retried by the apply job when it fails.
 */
export function withWorkflowSteps(notifier: Notifier, steps: () => WorkflowSteps | null): Notifier {
  return new Proxy(notifier, {
    get(target, prop) {
      if (prop === 'tellRequester') {
        return async (r: ChangeRequest, ws: Workspace) => {
          await steps()?.finish(r, ws);
          return target.tellRequester(r, ws);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
