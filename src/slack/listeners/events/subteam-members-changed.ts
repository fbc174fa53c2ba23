/**
 * subteam_members_changed: someone joined or left a user group. The cached members of that group
 * are forgotten by every process (slack/directory.ts), so the next click or apply job is checked
 * against the group as it is now (Bolt acks events).
 */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { SubteamMembersChanged } from '../../view-schemas.js';

type Args = SlackEventMiddlewareArgs<'subteam_members_changed'> & AllMiddlewareArgs;

export function subteamMembersChanged(deps: SlackDeps) {
  return async ({ body }: Args): Promise<void> => {
    const changed = SubteamMembersChanged.safeParse(body);
    if (!changed.success) {
      deps.log.warn({ issues: changed.error.issues.slice(0, 3) }, 'refused a malformed subteam_members_changed event');
      return;
    }
    await deps.directory.forget(changed.data.groupId);
    deps.log.info({ group: changed.data.groupId }, 'user group changed; its members are read again at the next decision');
  };
}
