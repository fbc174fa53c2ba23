/**
 * The Workflow Builder step "Request a LeanIX role": a request made by the person who started the
 * workflow, decided in Slack like any other, and the step completed when the request ends, however
 * long that takes and whichever process sees it. The step's execution id is kept on the request
 * (its origin); the step is completed from the request's end (the one telling of its requester,
 * RequestMessages), claimed once per request, so two processes never complete it twice.
 */
import { isDomainError } from '../domain/errors.js';
import type { Role } from '../domain/permission.js';
import { isFinal, type ChangeRequest } from '../domain/request.js';
import type { Workspace } from '../domain/workspace.js';
import { ONE_SLACK, type SlackScope } from './ports/slack-scope.js';
import type { Clock, Log, Notifier, Store } from './ports.js';
import type { RequestService } from './requests.js';

/** Completing a step in Slack (functions.completeSuccess / completeError). */
export interface StepCompleter {
  success(functionExecutionId: string, outputs: Record<string, unknown>): Promise<void>;
  error(functionExecutionId: string, message: string): Promise<void>;
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
  /** `scope`: which installation completes a workspace's step (installable mode). */
  constructor(private readonly deps: { store: Store; requests: RequestService; completer: StepCompleter; emails: UserEmails; clock: Clock; log: Log; scope?: SlackScope }) {}

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
   * Completes the step of a request that ended: success with its outputs when it was applied,
   * an error with the reason otherwise. Once per request; a failure hands the claim back.
   */
  async finish(r: ChangeRequest, ws?: Workspace): Promise<void> {
    const { store, clock, log } = this.deps;
    // In the installable mode a worker has no Slack request to take a token from: the workspace's installation completes it.
    const within = <T>(fn: () => Promise<T>) => (ws ? (this.deps.scope ?? ONE_SLACK).within(ws, fn) : fn());
    const completer = {
      success: (id: string, o: Record<string, unknown>) => within(() => this.deps.completer.success(id, o)),
      error: (id: string, m: string) => within(() => this.deps.completer.error(id, m)),
    };
    if (r.origin?.via !== 'workflow' || !isFinal(r.status)) return;
    if (!(await store.requests.claimNotice(r.id, STEP_NOTICE, clock.now()))) return;
    const id = r.origin.functionExecutionId;
    try {
      if (r.status === 'APPLIED') {
        await completer.success(id, { request_id: r.id, outcome: 'APPLIED', ...(r.decidedBy && { decided_by: r.decidedBy }) });
      } else {
        await completer.error(id, stepError(r));
      }
      log.info({ requestId: r.id, status: r.status }, 'workflow step completed');
    } catch (err) {
      // Slack says the step is over already (completed before, or it timed out): nothing to hand back.
      if (/execution_not_in_running_state|function_execution_not_found/.test(String((err as Error).message))) return;
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
