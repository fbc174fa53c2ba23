/**
 * The opening every form submission shares: the payload parsed (zod), its private metadata
 * decoded, its fields parsed. A malformed payload is refused (logged) and acked; field errors are
 * answered under their fields. Either way it has acked and returns null; otherwise the caller acks.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { z } from 'zod';
import type { SlackDeps } from '../../deps.js';
import { formValues, parseFields } from '../../forms/fields.js';
import { decodeMetadata } from '../../forms/metadata.js';
import { refuseMalformed } from '../../refusals.js';
import { ViewSubmission } from '../../view-schemas.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export interface Submission<M, F> {
  user: string;
  team: string;
  meta: M;
  fields: F;
}

export async function readSubmission<M extends z.ZodType, F extends z.ZodType>(
  deps: Pick<SlackDeps, 'log'>, { ack, body }: Pick<Args, 'ack' | 'body'>, form: string, metadata: M, fieldsSchema: F,
): Promise<Submission<z.output<M>, z.output<F>> | null> {
  const sub = ViewSubmission.safeParse(body);
  const meta = sub.success ? decodeMetadata(metadata, sub.data.metadata) : null;
  if (!sub.success || !meta) {
    refuseMalformed(deps.log, body, { form }, sub.success ? [{ message: 'bad private_metadata' }] : sub.error.issues);
    await ack();
    return null;
  }
  const parsed = parseFields(fieldsSchema, formValues(sub.data.values));
  if (!parsed.ok) {
    await ack({ response_action: 'errors', errors: parsed.errors });
    return null;
  }
  return { user: sub.data.userId, team: sub.data.teamId, meta, fields: parsed.data };
}
