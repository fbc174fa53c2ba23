/**
 * The two request forms: how each opens (from its slash command) and what its submission asks
 * for. The requests are exactly those of `/techuser create <username> <role> <expiry> ...` and
 * `/permission role <email> <role> [for <duration>] [reason...]`.
 */
import { permissionRoleForm, techuserCreateForm } from '../../blocks/forms.js';
import { fields } from '../../forms/ids.js';
import { fieldOf, PermissionRoleFields, TechuserCreateFields, TechuserOwnerFields } from '../../forms/fields.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import type { Workspace } from '../../../domain/workspace.js';
import type { SlackDeps } from '../../deps.js';
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
  // The picker searches the workspace's people as one types: have them read by then.
  build: async (deps, ws, meta) => {
    deps.peopleSearch.warm(ws.id);
    return permissionRoleForm(ws, meta);
  },
};

export const permissionRoleSubmission: RequestFormSpec<typeof PermissionRoleFields> = {
  name: 'permission role',
  fields: PermissionRoleFields,
  firstField: fields.USER,
  toRequest: async (f, { deps, ws }) => {
    const email = await pickedEmail(deps, ws, f.user);
    return {
      request: { kind: 'permission.role', params: f.duration === null ? { email, role: f.role } : { email, role: f.role, minutes: f.duration } },
      reason: f.reason,
    };
  },
  // The user-not-found and no-permission rules are about the picked person.
  fieldOf: (err) => {
    const field = fieldOf(err, fields.USER);
    return field === fields.EMAIL ? fields.USER : field;
  },
};

/**
 * The email of the person picked: the option's value is a user id that Slack hands back, but a
 * forged submission may carry any value, so it must name a user with a permission in this very
 * workspace, as every option the picker offered did.
 */
async function pickedEmail(deps: SlackDeps, ws: Workspace, userId: string): Promise<string> {
  const [user] = await deps.store.users.findByIds([userId]);
  const permission = user ? await deps.store.permissions.find(ws.id, user.id) : null;
  if (!user || !permission) throw new DomainError(Codes.PERMISSION_NOT_FOUND, `Choose a user of ${ws.name} from the list.`);
  return user.email;
}

/** The Transfer form of a review (blocks/reviews.ts): `/techuser owner <username> @owner [reason]`. */
export const techuserOwnerSubmission: RequestFormSpec<typeof TechuserOwnerFields> = {
  name: 'techuser owner',
  fields: TechuserOwnerFields,
  firstField: fields.OWNER,
  toRequest: (f) => ({ request: { kind: 'techuser.owner', params: { userName: f.username, owner: f.owner } }, reason: f.reason }),
};
