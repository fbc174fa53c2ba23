/**
 * SEED_FILE: workspaces with their Slack wiring, admins, approvers, policy and users. Applied at
 * every start and idempotent: workspace settings follow the file, admins and approvers included
 * (someone taken out of a list loses that part); users and permissions are created when missing,
 * but an existing permission is left as Keywarden's changes made it. A workspace no longer in the
 * file is retired, not deleted (app/retired-workspaces.ts ends its pending requests).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PERMISSION_STATUSES, ROLES } from '../domain/permission.js';
import { isEmail } from '../domain/user.js';
import { DEFAULT_POLICY } from '../domain/workspace.js';
import { DEFAULT_SYNC_SECONDS, isLoopbackHost, ROLES_MANAGED_BY, type LeanixConnection } from '../domain/leanix-connection.js';
import { DEFAULT_BREAK_GLASS_REVIEW_HOURS, DEFAULT_MAX_BREAK_GLASS_HOURS, POLICY_KINDS } from '../domain/policy.js';
import { WEBHOOK_EVENTS, WEBHOOK_SECRET_ENV } from '../domain/webhook.js';
import { urlProblem } from './webhook-addresses.js';
import type { Log, Store } from './ports.js';
import { UNREVIEWED_ACTIONS } from '../domain/access-review.js';

const SeedUser = z.object({
  id: z.uuid().optional(),
  permissionId: z.uuid().optional(),
  email: z.string().refine(isEmail, 'must be an email address'),
  firstName: z.string().default(''),
  lastName: z.string().default(''),
  role: z.enum(ROLES).default('MEMBER'),
  status: z.enum(PERMISSION_STATUSES).default('ACTIVE'),
});

/** A Slack user id (U…, W… on Enterprise Grid) or a user group id (S…), as the rules name approvers. */
const SlackPerson = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user id (U…) or user group id (S…)');

/** Kinds `roles` can narrow: those with a target role, and extensions (by the role of their grant). */
const ROLE_KINDS: readonly string[] = ['permission.role', 'permission.invite', 'techuser.role', 'techuser.create', 'permission.extend', 'techuser.extend'];

/** One rule of policy.rules (domain/policy.ts); only `kinds` is required. */
const SeedRule = z.strictObject({
  kinds: z.array(z.enum(POLICY_KINDS, { error: `a kind: one of ${POLICY_KINDS.join(', ')}` })).min(1, 'name at least one kind'),
  roles: z.array(z.enum(ROLES, { error: `a role: ${ROLES.join(', ')}` })).min(1, 'name at least one role, or leave roles out').optional(),
  temporary: z.boolean().optional(),
  approvals: z.number({ error: 'a whole number from 0 to 3' }).int('a whole number').min(0, 'at least 0').max(3, 'at most 3').optional(),
  approvers: z.array(SlackPerson).optional(),
  reasonRequired: z.boolean().optional(),
  breakGlass: z.boolean().optional(),
  escalateAfterHours: z.number().positive('must be more than 0').max(24 * 90, 'at most 2160').optional(),
  escalateTo: z.array(SlackPerson).min(1, 'name at least one user or group').optional(),
}, { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')} (a rule has kinds, roles, temporary, approvals, approvers, reasonRequired, breakGlass, escalateAfterHours, escalateTo)` : undefined) })
  .refine((r) => (r.escalateAfterHours === undefined) === (r.escalateTo === undefined), {
    message: 'escalateAfterHours and escalateTo go together', path: ['escalateTo'],
  })
  .refine((r) => !r.roles || r.kinds.every((k) => ROLE_KINDS.includes(k)), {
    message: `roles narrow only kinds with a role (${ROLE_KINDS.join(', ')}; for an extension, the role of the grant it extends)`, path: ['roles'],
  })
  .refine((r) => !r.breakGlass || r.kinds.every((k) => k === 'permission.role' || k === 'techuser.role'), {
    message: 'breakGlass is for permission.role and techuser.role only', path: ['breakGlass'],
  });

/** One of `webhooks` (domain/webhook.ts): the URL is checked as written; names are resolved at delivery. */
const SeedWebhook = z.strictObject({
  url: z.string().max(2000),
  secretEnv: z.string().regex(WEBHOOK_SECRET_ENV, 'the name of an environment variable KEYWARDEN_WEBHOOK_… holding the secret'),
  events: z.array(z.enum(WEBHOOK_EVENTS, { error: `an event: ${WEBHOOK_EVENTS.join(', ')}` })).min(1, 'name at least one event'),
  allowPrivate: z.boolean().optional(),
}).superRefine((h, ctx) => {
  const problem = urlProblem(h.url, h.allowPrivate);
  if (problem) ctx.addIssue({ code: 'custom', path: ['url'], message: problem });
});

/** `leanix`: the workspace is connected to SAP LeanIX (docs/leanix.md). The token is named, never given. */
const SeedLeanix = z.strictObject({
  baseUrl: z.url({ error: 'must be a URL such as https://acme.leanix.net' }).refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  }, 'must be https (plain http only for a loopback address)'),
  workspaceId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be the LeanIX workspace id (Administration > API Tokens > WorkspaceId)').optional(),
  apiTokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be the name of an environment variable, e.g. LEANIX_API_TOKEN_ACME'),
  syncSeconds: z.number({ error: 'a whole number of seconds from 30 to 86400' }).int('a whole number').min(30, 'at least 30').max(86_400, 'at most 86400').default(DEFAULT_SYNC_SECONDS),
  rolesManagedBy: z.enum(ROLES_MANAGED_BY, { error: 'keywarden or idp' }).default('keywarden'),
}, { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')} (leanix has baseUrl, workspaceId, apiTokenEnv, syncSeconds, rolesManagedBy; the token itself goes in the variable apiTokenEnv names)` : undefined) });

/** One entry of policy.accessReviews (domain/access-review.ts); name, everyDays and dueDays are required. */
const SeedAccessReview = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore only'),
  everyDays: z.number({ error: 'a whole number of days' }).int('a whole number').min(1, 'at least 1').max(3650, 'at most 3650'),
  roles: z.array(z.enum(ROLES, { error: `a role: ${ROLES.join(', ')}` })).min(1, 'name at least one role, or leave roles out').optional(),
  statuses: z.array(z.enum(PERMISSION_STATUSES, { error: `a status: ${PERMISSION_STATUSES.join(', ')}` })).min(1, 'name at least one status').default(['ACTIVE', 'INVITED']),
  reviewers: z.array(SlackPerson).default([]),
  dueDays: z.number({ error: 'a whole number of days' }).int('a whole number').min(1, 'at least 1').max(365, 'at most 365'),
  unreviewed: z.enum(UNREVIEWED_ACTIONS, { error: `one of ${UNREVIEWED_ACTIONS.join(', ')}` }).default('keep'),
}, { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')} (an access review has name, everyDays, roles, statuses, reviewers, dueDays, unreviewed)` : undefined) })
  .refine((r) => r.dueDays <= r.everyDays, { message: 'dueDays must not be longer than everyDays', path: ['dueDays'] });

const SeedWorkspace = z.object({
  id: z.uuid(),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore only'),
  slack: z.object({
    teamId: z.string().min(1),
    // Installed org-wide on an Enterprise Grid organisation: its id (E…), whichever of its workspaces teamId names.
    enterpriseId: z.string().regex(/^E[A-Z0-9]+$/, 'an Enterprise Grid organisation id (E…)').optional(),
    approvalsChannel: z.string().min(1),
    notificationChannels: z.array(z.string().min(1)).default([]),
  }),
  admins: z.array(z.string().min(1)).default([]),
  approvers: z.array(z.string().min(1)).default([]),
  policy: z
    .object({
      requiredApprovals: z.number().int().min(1).max(2).default(DEFAULT_POLICY.requiredApprovals),
      requestTtlHours: z.number().positive().max(24 * 90).default(DEFAULT_POLICY.requestTtlHours),
      expiryWarningDays: z.array(z.number().int().min(0).max(365)).default(DEFAULT_POLICY.expiryWarningDays),
      reminderHoursBeforeExpiry: z.number().min(0).max(24 * 90).default(DEFAULT_POLICY.reminderHoursBeforeExpiry!),
      maxGrantHours: z.number().int().min(1).max(24 * 90).default(DEFAULT_POLICY.maxGrantHours!),
      temporaryOnlyRoles: z.array(z.enum(ROLES)).default([]),
      techUserReviewDays: z.number().int().min(0).max(3650).default(DEFAULT_POLICY.techUserReviewDays!),
      deleteUnreviewedAfterDays: z.number().int().min(0).max(3650).default(DEFAULT_POLICY.deleteUnreviewedAfterDays!),
      rules: z.array(SeedRule).default([]),
      maxBreakGlassHours: z.number().positive('must be more than 0').max(24, 'at most 24').default(DEFAULT_MAX_BREAK_GLASS_HOURS),
      breakGlassReviewHours: z.number().positive('must be more than 0').max(24 * 30, 'at most 720').default(DEFAULT_BREAK_GLASS_REVIEW_HOURS),
      accessReviews: z.array(SeedAccessReview).default([])
        .refine((xs) => new Set(xs.map((x) => x.name)).size === xs.length, 'each access review needs its own name'),
    })
    .prefault({}),
  users: z.array(SeedUser).default([]),
  webhooks: z.array(SeedWebhook).max(10, 'at most 10').optional(),
  leanix: SeedLeanix.optional(),
  /** Who is who (domain/identity.ts): Slack user id to email, ahead of what Slack says. */
  slackUsers: z.record(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id (U…)'), z.string().refine(isEmail, 'must be an email address')).default({}),
}).refine((w) => new Set((w.webhooks ?? []).map((h) => h.url)).size === (w.webhooks ?? []).length, { path: ['webhooks'], message: 'each URL once' })
  .transform(({ leanix, ...ws }): typeof ws & { leanix?: LeanixConnection } => (leanix ? { ...ws, leanix: { ...leanix, workspaceId: leanix.workspaceId ?? ws.id } } : ws));

export const Seed = z.object({ workspaces: z.array(SeedWorkspace).min(1) });
export type Seed = z.infer<typeof Seed>;

export async function applySeed(store: Store, seed: Seed, log: Log, now: Date = new Date()): Promise<void> {
  for (const { users, ...ws } of seed.workspaces) {
    await store.workspaces.upsert(ws);
    let created = 0;
    for (const u of users) {
      const user = await store.users.ensure({
        id: u.id ?? randomUUID(), email: u.email, userName: u.email, firstName: u.firstName, lastName: u.lastName,
      });
      const inserted = await store.permissions.insert({
        id: u.permissionId ?? randomUUID(), userId: user.id, workspaceId: ws.id, role: u.role, status: u.status,
        customerRoles: [], accessControlEntities: [], lastLogin: null, version: 0, lastChange: null,
      });
      if (inserted) created++;
    }
    log.info({ workspace: ws.name, users: users.length, created }, 'seed applied');
  }
  const inFile = new Set(seed.workspaces.map((w) => w.id));
  for (const ws of await store.workspaces.list()) {
    if (inFile.has(ws.id)) continue;
    if (await store.workspaces.retire(ws.id, now)) log.warn({ workspace: ws.name, id: ws.id }, 'workspace retired: it is no longer in the seed file');
  }
}
