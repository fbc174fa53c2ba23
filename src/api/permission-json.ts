/**
 * A permission as the MTM API shows it (the object in `data`), and the body a caller sends back
 * to change one. Of that body only the ids, role and status matter; the rest is what GET returned
 * and is accepted and ignored, so the object can be sent back as it came.
 */
import { z } from 'zod';
import type { ApiPermission, PermissionUpdate } from '../app/permission-api.js';
import { PERMISSION_STATUSES, ROLES } from '../domain/permission.js';

export function permissionJson({ permission: p, user: u, workspace }: ApiPermission) {
  return {
    id: p.id,
    user: {
      id: u.id,
      userName: u.userName,
      email: u.email,
      firstName: u.firstName,
      lastName: u.lastName,
      // Account-level role and status: every user Keywarden knows is an active account user.
      role: 'ACCOUNTUSER',
      status: 'ACTIVE',
    },
    workspace: { id: workspace.id, name: workspace.name },
    workspaceId: p.workspaceId,
    role: p.role,
    status: p.status,
    customerRoles: [...p.customerRoles],
    accessControlEntities: [...p.accessControlEntities],
    lastLogin: p.lastLogin ? p.lastLogin.toISOString() : null,
  };
}

const text = (what: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what}`) })
    .min(1, `must be ${what}`)
    .max(200, `must be ${what}`);

const oneOf = (values: readonly string[]) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be one of ${values.join(', ')}`),
});

/** Parsed, not cast; unknown members are dropped (z.object strips them). */
export const PermissionBody = z.object(
  {
    id: text('the permission id (a string)'),
    workspaceId: text('the workspace id (a string)'),
    role: z.enum(ROLES, oneOf(ROLES)),
    status: z.enum(PERMISSION_STATUSES, oneOf(PERMISSION_STATUSES)),
  },
  { error: 'The body must be a permission object as returned by GET .../workspaces/{id}/permissions.' },
) satisfies z.ZodType<PermissionUpdate>;

/** Readable messages for a body that did not parse, one per problem. */
export function bodyProblems(error: z.ZodError): string[] {
  return error.issues.slice(0, 10).map((i) => (i.path.length ? `${i.path.join('.')} ${i.message}` : i.message));
}
