/**
 * The two request forms: how each opens (from its slash command) and what its submission asks
 * for. The requests are exactly those of `/techuser create <username> <role> <expiry> ...` and
 * `/permission role <email> <role> [for <duration>] [reason...]`.
 */
import { permissionRoleForm, techuserCreateForm } from '../../blocks/forms.js';
import { fields } from '../../forms/ids.js';
import { PermissionRoleFields, TechuserCreateFields, TechuserOwnerFields } from '../../forms/fields.js';
import type { FormCommand } from '../commands/with-form.js';
import type { RequestFormSpec } from './request-form.js';

export const techuserCreateCommand: FormCommand = {
  sub: 'create',
  build: async (deps, ws, meta) => techuserCreateForm(ws, meta, deps.clock.now()),
};

export const techuserCreateSubmission: RequestFormSpec<typeof TechuserCreateFields> = {
  name: 'techuser create',
  fields: TechuserCreateFields,
  firstField: fields.USERNAME,
  toRequest: (f) => ({
    request: {
      kind: 'techuser.create',
      params: {
        userName: f.username, role: f.role, expiry: f.expiry, description: f.description,
        customerRoles: f.customer_roles, accessControlEntities: f.aces,
      },
    },
    reason: null,
  }),
};

export const permissionRoleCommand: FormCommand = {
  sub: 'role',
  // The workspace's users, by email (PermissionService.list sorts them).
  build: async (deps, ws, meta) => permissionRoleForm(ws, (await deps.permissions.list(ws.id)).map((v) => v.user.email), meta),
};

export const permissionRoleSubmission: RequestFormSpec<typeof PermissionRoleFields> = {
  name: 'permission role',
  fields: PermissionRoleFields,
  firstField: fields.EMAIL,
  toRequest: (f) => ({
    request: { kind: 'permission.role', params: f.duration === null ? { email: f.email, role: f.role } : { email: f.email, role: f.role, minutes: f.duration } },
    reason: f.reason,
  }),
};

/** The Transfer form of a review (blocks/reviews.ts): `/techuser owner <username> @owner [reason]`. */
export const techuserOwnerSubmission: RequestFormSpec<typeof TechuserOwnerFields> = {
  name: 'techuser owner',
  fields: TechuserOwnerFields,
  firstField: fields.OWNER,
  toRequest: (f) => ({ request: { kind: 'techuser.owner', params: { userName: f.username, owner: f.owner } }, reason: f.reason }),
};
