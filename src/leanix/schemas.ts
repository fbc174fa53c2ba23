/**
 * The shapes LeanIX's MTM API answers with, as documented (docs/leanix.md, "What LeanIX documents,
 * and what it does not"). Every object is loose: fields Keywarden does not know are kept, because
 * a permission is changed by posting back the object as read with only its attributes changed.
 * Only what Keywarden relies on is required; the rest is optional and passed through untouched.
 */
import { z } from 'zod';

/** `errors` items: the MTM OpenAPI's ApiError is `{ value, messages[] }`; Keywarden's own API sends `{ message }`. */
const ApiError = z.looseObject({
  value: z.unknown().optional(),
  messages: z.array(z.string()).optional(),
  message: z.string().optional(),
});

/** The envelope of every MTM answer: `{ status, type, errors, total, data }` (the seed document). */
export const envelope = <T extends z.ZodType>(data: T) =>
  z.looseObject({
    status: z.string().optional(),
    type: z.string().optional(),
    message: z.string().nullish(),
    errors: z.array(ApiError).nullish(),
    total: z.number().int().min(0).nullish(),
    data,
  });

/** An error answer: the envelope with whatever data (often null). */
export const ErrorEnvelope = envelope(z.unknown().optional());

/** Readable lines from an error envelope, in the order LeanIX gave them. */
export function envelopeMessages(body: unknown): string[] {
  const parsed = ErrorEnvelope.safeParse(body);
  if (!parsed.success) return [];
  const lines: string[] = [];
  for (const e of parsed.data.errors ?? []) {
    if (e.message) lines.push(e.message);
    for (const m of e.messages ?? []) lines.push(m);
  }
  if (lines.length === 0 && parsed.data.message) lines.push(parsed.data.message);
  return lines;
}

export const LEANIX_ROLES = ['VIEWER', 'MEMBER', 'ADMIN'] as const;
export const LEANIX_STATUSES = ['INVITED', 'ACTIVE', 'ARCHIVED'] as const;

/** The user inside a permission (the seed's example: id, account, userName, email, role, status, ...). */
export const LeanixPermissionUser = z.looseObject({
  id: z.string().min(1),
  email: z.string().min(1),
  userName: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
});

/**
 * A permission as GET .../workspaces/{id}/permissions shows it. Role and status are kept as the
 * strings LeanIX sent: a value Keywarden does not know is shown and compared, never guessed at.
 */
export const LeanixPermission = z.looseObject({
  id: z.string().min(1),
  user: LeanixPermissionUser,
  workspaceId: z.string().min(1),
  role: z.string().min(1),
  status: z.string().min(1),
  lastLogin: z.string().nullish(),
});
export type LeanixPermission = z.infer<typeof LeanixPermission>;

/**
 * The API token part of a technical user (OpenAPI ApiTokenData: expiry, description, id, token).
 * `token` is present only in the answers to a create and a replaceToken, once.
 */
export const LeanixApiTokenData = z.looseObject({
  expiry: z.union([z.string(), z.number()]).nullish(),
  description: z.string().nullish(),
  id: z.string().nullish(),
  token: z.string().nullish(),
});

/**
 * A technical user (OpenAPI TechnicalUserData: userName, email, permissionRole, customerRoles,
 * accessControlEntities, apiTokenData, id, accountId, workspaceId). The OpenAPI types
 * customerRoles and accessControlEntities as strings; what a workspace really returns may differ,
 * so they are kept as they came.
 */
export const LeanixTechnicalUser = z.looseObject({
  id: z.string().min(1),
  userName: z.string().min(1),
  permissionRole: z.string().min(1),
  workspaceId: z.string().nullish(),
  accountId: z.string().nullish(),
  email: z.string().nullish(),
  customerRoles: z.unknown().optional(),
  accessControlEntities: z.unknown().optional(),
  apiTokenData: LeanixApiTokenData.nullish(),
});
export type LeanixTechnicalUser = z.infer<typeof LeanixTechnicalUser>;

/** The body of a create or an update (OpenAPI TechnicalUserInputData); loose, so an object as read can be sent back. */
export const LeanixTechnicalUserInput = z.looseObject({
  userName: z.string().min(1),
  permissionRole: z.enum(LEANIX_ROLES),
  email: z.string().nullish(),
  customerRoles: z.unknown().optional(),
  accessControlEntities: z.unknown().optional(),
  apiTokenData: z.looseObject({ expiry: z.union([z.string(), z.number()]), description: z.string().nullish() }).nullish(),
});
export type LeanixTechnicalUserInput = z.infer<typeof LeanixTechnicalUserInput>;

/** One changelog entry (OpenAPI Event: id, type, status, createdAt, actor, payload, ...). */
export const LeanixEvent = z.looseObject({
  id: z.string().nullish(),
  type: z.string().min(1),
  status: z.string().nullish(),
  createdAt: z.union([z.string(), z.number()]).nullish(),
  actor: z.looseObject({ id: z.string().nullish(), userName: z.string().nullish(), email: z.string().nullish() }).nullish(),
  payload: z.record(z.string(), z.unknown()).nullish(),
});
export type LeanixEvent = z.infer<typeof LeanixEvent>;

/** POST /services/mtm/v1/oauth2/token's answer (the seed and DESIGN.md: access_token, expires_in, ...). */
export const AccessTokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
});

export const PermissionList = envelope(z.array(LeanixPermission));
export const PermissionOne = envelope(LeanixPermission);
export const TechnicalUserList = envelope(z.array(LeanixTechnicalUser));
export const TechnicalUserOne = envelope(LeanixTechnicalUser);
export const EventList = envelope(z.array(LeanixEvent));
