/**
 * The fields of our forms, parsed with zod from a view_submission's state. Each zod issue becomes
 * a field error keyed by its block id, which is what Slack shows under the input
 * (`response_action: 'errors'`).
 */
import { z } from 'zod';
import { MAX_REJECTION_REASON } from '../../app/rejections.js';
import { Codes, type DomainError } from '../../domain/errors.js';
import { parseDuration } from '../../domain/grant.js';
import { ROLES } from '../../domain/permission.js';
import type { InputState } from '../view-schemas.js';
import { fields, VALUE, type FieldId } from './ids.js';

export type FieldErrors = Partial<Record<FieldId, string>>;

/** Block id -> what was typed, picked or chosen (undefined when the input was left empty). */
export function formValues(values: Record<string, Record<string, InputState>>): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(values).map(([block, actions]) => {
      const s = actions[VALUE];
      return [block, s?.selected_option?.value ?? s?.selected_date ?? s?.selected_user ?? s?.value ?? undefined];
    }),
  );
}

/** The form's fields, or an error for each field that is wrong (the first issue of each). */
export function parseFields<S extends z.ZodType>(
  schema: S,
  values: Record<string, string | undefined>,
): { ok: true; data: z.output<S> } | { ok: false; errors: FieldErrors } {
  const parsed = schema.safeParse(values);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0]) as FieldId;
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

const role = z.enum(ROLES, { error: 'Choose a role.' });
const list = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export const TechuserCreateFields = z.object({
  [fields.USERNAME]: z.string({ error: 'Give the technical user a username.' }).trim().min(1, 'Give the technical user a username.'),
  [fields.ROLE]: role,
  [fields.EXPIRY]: z.string({ error: 'Pick an expiry date.' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'Pick an expiry date.'),
  [fields.DESCRIPTION]: z.string().trim().max(500, 'At most 500 characters.').optional().transform((v) => v ?? ''),
  [fields.CUSTOMER_ROLES]: list,
  [fields.ACES]: list,
});

/** The value of the "permanent" choice of a duration select (the others are durations: `4h`, `1d`). */
export const PERMANENT = 'permanent';
/** The duration choices of our forms, in minutes: 1 h, 4 h, 1 d, 3 d, 1 w. */
export const DURATION_CHOICES = [60, 240, 1440, 4320, 10080] as const;

const durationValue = (v: string): boolean => {
  try {
    return parseDuration(v) > 0;
  } catch {
    return false;
  }
};
/** A duration picked from a select: minutes, or null for "permanent". */
const duration = z
  .string({ error: 'Choose how long.' })
  .refine((v) => v === PERMANENT || durationValue(v), 'Choose how long.')
  .transform((v) => (v === PERMANENT ? null : parseDuration(v)));

export const PermissionRoleFields = z.object({
  // The picked person's user id (an option value of ours; still checked against the workspace).
  [fields.USER]: z.string({ error: 'Choose a user.' }).regex(/^[A-Za-z0-9-]{1,100}$/, 'Choose a user from the list.'),
  [fields.ROLE]: role,
  // Absent from forms opened before durations existed: permanent, as they were.
  [fields.DURATION]: duration.optional().transform((v) => v ?? null),
  [fields.REASON]: z.string().trim().max(500, 'At most 500 characters.').optional().transform((v) => v || null),
});

export const GrantExtendFields = z.object({
  [fields.DURATION]: duration.refine((v) => v !== null, 'Choose how much longer.'),
  [fields.REASON]: z.string().trim().max(500, 'At most 500 characters.').optional().transform((v) => v || null),
});

export const TechuserOwnerFields = z.object({
  [fields.USERNAME]: z.string({ error: 'Name the technical user.' }).trim().min(1, 'Name the technical user.'),
  [fields.OWNER]: z.string({ error: 'Choose the new owner.' }).regex(/^[UW][A-Z0-9]{2,20}$/, 'Choose the new owner.'),
  [fields.REASON]: z.string().trim().max(500, 'At most 500 characters.').optional().transform((v) => v || null),
});

export const RejectFields = z.object({
  [fields.REASON]: z
    .string({ error: 'Say why, for the requester.' })
    .trim()
    .min(1, 'Say why, for the requester.')
    .max(MAX_REJECTION_REASON, `At most ${MAX_REJECTION_REASON} characters.`),
});

/** Which field a rule violation is about, so the form shows it there; `fallback` for the rest. */
export function fieldOf(err: DomainError, fallback: FieldId): FieldId {
  switch (err.code) {
    case Codes.TECHUSER_BAD_NAME:
    case Codes.TECHUSER_EXISTS:
      return fields.USERNAME;
    case Codes.TECHUSER_BAD_EXPIRY:
      return fields.EXPIRY;
    case Codes.TECHUSER_BAD_LABEL:
      return /access control/.test(err.message) ? fields.ACES : fields.CUSTOMER_ROLES;
    case Codes.USER_NOT_FOUND:
    case Codes.PERMISSION_NOT_FOUND:
      return fields.EMAIL;
    case Codes.PERMISSION_UNCHANGED:
      return fields.ROLE;
    case Codes.GRANT_BAD_DURATION:
    case Codes.GRANT_TOO_LONG:
    case Codes.GRANT_TEMPORARY_ONLY:
      return fields.DURATION;
    case Codes.REVIEW_BAD_OWNER:
      return fields.OWNER;
    default:
      return fallback;
  }
}
