/**
 * A request form submitted (`/techuser create`, `/permission role`): the same request the command
 * would make. Within Slack's 3 seconds the fields are parsed (zod) and the rules checked, and any
 * problem is shown under its field (`response_action: 'errors'`); only then does the form close,
 * the request get stored and posted for approval, and the admin get the command's answer.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { z } from 'zod';
import { isDomainError, type DomainError } from '../../../domain/errors.js';
import type { Workspace } from '../../../domain/workspace.js';
import type { NewRequest } from '../../../domain/request.js';
import type { SlackDeps } from '../../deps.js';
import { fieldOf } from '../../forms/fields.js';
import type { FieldId } from '../../forms/ids.js';
import { FormMetadata } from '../../forms/metadata.js';
import { errorText } from '../../reply.js';
import { tellUser } from '../../tell-user.js';
import { submitText } from '../commands/submit-text.js';
import { readSubmission } from './submission.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export interface RequestFormSpec<S extends z.ZodType> {
  name: string;
  fields: S;
  /** Where an error that belongs to no field in particular is shown (Slack needs an input block). */
  firstField: FieldId;
  /**
   * The request the fields make. It may read the store (a picked person's email, from their id)
   * and throw a DomainError, shown under its field like a broken rule.
   */
  toRequest(fields: z.output<S>, at: { deps: SlackDeps; ws: Workspace }): { request: NewRequest; reason: string | null } | Promise<{ request: NewRequest; reason: string | null }>;
  /** Which field a DomainError is shown under (default: fieldOf's choice). */
  fieldOf?(err: DomainError): FieldId;
}

export function requestFormSubmitted<S extends z.ZodType>(deps: SlackDeps, spec: RequestFormSpec<S>) {
  return async ({ ack, body, client }: Args): Promise<void> => {
    const read = await readSubmission(deps, { ack, body }, spec.name, FormMetadata, spec.fields);
    if (!read) return;
    const { user, team, meta, fields } = read;
    const ws = await deps.store.workspaces.findById(meta.workspaceId);
    if (!ws || ws.slack.teamId !== team) {
      await ack({ response_action: 'errors', errors: { [spec.firstField]: 'That workspace is not (or no longer) configured for this Slack team.' } });
      return;
    }
    let request: NewRequest;
    let reason: string | null;
    try {
      ({ request, reason } = await spec.toRequest(fields, { deps, ws }));
      await deps.requests.validate({ workspace: ws, requester: user, request });
    } catch (err) {
      if (isDomainError(err)) {
        errorText(err, deps.log, { user, team, form: spec.name });
        await ack({ response_action: 'errors', errors: { [spec.fieldOf?.(err) ?? fieldOf(err, spec.firstField)]: err.message } });
        return;
      }
      await ack();
      await tellUser(deps, client, { userId: user, responseUrl: meta.responseUrl }, errorText(err, deps.log, { user, team, form: spec.name }));
      return;
    }
    await ack();
    let text: string;
    try {
      text = await submitText(deps, ws, await deps.requests.submit({ workspace: ws, requester: user, request, reason }));
    } catch (err) {
      // Something changed between the check and the submission (e.g. the name was taken meanwhile).
      text = errorText(err, deps.log, { user, team, form: spec.name, kind: request.kind });
    }
    await tellUser(deps, client, { userId: user, responseUrl: meta.responseUrl }, text);
  };
}
