/**
 * The Workflow Builder step "Request a LeanIX role" (manifest.yml `functions`): its inputs read
 * with the slash commands' own parsers, the request made by the person who started the workflow.
 * Bolt acknowledges the event first; a request the rules refuse fails the step at once with the
 * rules' words, any other stays running until the request ends (app/workflow-steps.ts).
 */
import { z } from 'zod';
import { resolveWorkspace } from '../../../app/workspaces.js';
import { isDomainError } from '../../../domain/errors.js';
import type { SlackDeps } from '../../deps.js';
import { isUsageError, parseReason, parseRole, refuseUnsafe, takeDuration } from '../../grammar/words.js';
import { refuseMalformed } from '../../refusals.js';

export const REQUEST_ROLE_STEP = 'request_leanix_role';

const userId = z.string().regex(/^[UW][A-Z0-9]{2,20}$/);
const Executed = z.object({
  team_id: z.string().min(1),
  event: z.object({
    function_execution_id: z.string().min(1),
    inputs: z.object({
      workspace: z.string().max(64).optional(),
      person: userId,
      requester: userId,
      role: z.string().max(40),
      duration: z.string().max(40).optional(),
      reason: z.string().max(2000).optional(),
    }),
  }),
});

/** "permanent", nothing, or a duration as `for <duration>` takes it (30m, 4h, 2d, 1w). */
function durationOf(v: string | undefined) {
  const word = v?.trim();
  if (!word || word.toLowerCase() === 'permanent') return {};
  const time = takeDuration(['for', word]);
  return isUsageError(time) ? time : { minutes: time.minutes };
}

export function requestRoleStep(deps: SlackDeps) {
  // Bolt's own type for these arguments is not exported; only these two are used.
  return async ({ body, fail }: { body: unknown; fail: (p: { error: string }) => Promise<unknown> }): Promise<void> => {
    const parsed = Executed.safeParse(body);
    if (!parsed.success) {
      refuseMalformed(deps.log, body, { step: REQUEST_ROLE_STEP }, parsed.error.issues);
      await fail({ error: 'The step got inputs it cannot read: it needs a person, the person who used the workflow, and a role.' });
      return;
    }
    const { team_id: teamId, event } = parsed.data;
    const i = event.inputs;
    const refuse = (error: string) => fail({ error });
    for (const v of [i.workspace, i.role, i.duration, i.reason]) {
      const unsafe = v === undefined ? null : refuseUnsafe(v);
      if (unsafe) return void (await refuse(unsafe.error));
    }
    const role = parseRole(i.role);
    if (isUsageError(role)) return void (await refuse(role.error));
    const time = durationOf(i.duration);
    if (isUsageError(time)) return void (await refuse(time.error));
    try {
      const workspace = await resolveWorkspace(deps.store.workspaces, teamId, i.workspace?.trim() || undefined);
      const started = await deps.workflowSteps.start({
        functionExecutionId: event.function_execution_id, workspace, requester: i.requester, person: i.person,
        change: { role, ...time }, reason: parseReason((i.reason ?? '').split(/\s+/)),
      });
      if ('refused' in started) await refuse(started.refused);
    } catch (err) {
      if (!isDomainError(err)) deps.log.error({ err, step: REQUEST_ROLE_STEP }, 'the workflow step could not make its request');
      await refuse(isDomainError(err) ? err.message : 'Keywarden could not make the request; it has been logged. Try again.');
    }
  };
}
