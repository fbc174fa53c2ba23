/** The Bolt app: wiring only. Listeners get their dependencies; nothing reads the environment. */
import { App, type Authorize, type Receiver } from '@slack/bolt';
import type { Log } from '../app/ports.js';
import { boltLogger } from './bolt-logger.js';
import { slackFetch } from './http-fetch.js';
import type { SlackDeps } from './deps.js';
import { ids } from './ids.js';
import { ReplayedRequest } from './receiver.js';
import { decideAction } from './listeners/actions/decide.js';
import { permissionCommand } from './listeners/commands/permission.js';
import { techuserCommand } from './listeners/commands/techuser.js';
import { revealAction } from './listeners/actions/reveal.js';
import { breakGlassReviewAction } from './listeners/actions/break-glass-review.js';
import { expiryButton } from './listeners/actions/expiry-buttons.js';
import { reviewDeleteAction, reviewKeepAction, reviewTransferAction } from './listeners/actions/review-buttons.js';
import { rejectAction } from './listeners/actions/reject.js';
import { grantEndAction } from './listeners/actions/grant-end.js';
import { grantExtendAction } from './listeners/actions/grant-extend.js';
import { grantExtendSubmitted } from './listeners/views/grant-extend.js';
import { withForm } from './listeners/commands/with-form.js';
import { appHomeOpened } from './listeners/events/app-home-opened.js';
import { subteamMembersChanged } from './listeners/events/subteam-members-changed.js';
import { userChange } from './listeners/events/user-change.js';
import { rejectSubmitted } from './listeners/views/reject.js';
import { requestFormSubmitted } from './listeners/views/request-form.js';
import {
  permissionRoleCommand, permissionRoleSubmission, techuserCreateCommand, techuserCreateSubmission, techuserOwnerSubmission,
} from './listeners/views/request-forms.js';
import { fields, forms } from './forms/ids.js';
import { personOptionsListener } from './listeners/options/people.js';
import { permissionPageAction } from './listeners/actions/permission-page.js';
import { REQUEST_ROLE_STEP, requestRoleStep } from './listeners/functions/request-role.js';
import { ACCESS_REVIEW_ACTIONS, accessReviewAction } from './listeners/actions/access-review.js';
import { slackContext } from './installations/context.js';
import { uninstalled, type Uninstall } from './listeners/events/uninstalled.js';

export interface SlackAppOptions {
  /** One Slack workspace: its bot token. Or, installable: `authorize` and `uninstall` (installations/installable.ts). */
  botToken?: string;
  authorize?: Authorize<boolean>;
  uninstall?: Uninstall;
  apiUrl: string;
  log: Log;
  /** Our signed HTTP receiver, or Bolt's SocketModeReceiver. */
  receiver: Receiver;
}

export function createSlackApp(opts: SlackAppOptions, deps: SlackDeps): App {
  const app = new App({
    ...(opts.authorize ? { authorize: opts.authorize } : { token: opts.botToken }),
    receiver: opts.receiver,
    logger: boltLogger(opts.log),
    // Bolt checks the token with auth.test; deferred so the caller awaits init() and a bad token
    // or an unreachable Slack stops the start with a clear error instead of an unhandled rejection.
    deferInitialization: true,
    // slackFetch: respond() and Bolt's own client on node:http rather than undici (see http-fetch.ts).
    clientOptions: { slackApiUrl: opts.apiUrl, fetch: slackFetch, timeout: 10_000, retryConfig: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 3000 } },
  });
  // Every listener runs knowing which installation Bolt authorised the request for (team and
  // organisation as the request names them), so the Slack calls it makes use that token.
  app.use(async ({ context, next }) => slackContext.run({ teamId: context.teamId ?? null, enterpriseId: context.enterpriseId ?? null, ...(context.botToken && { botToken: context.botToken }) }, next));
  if (opts.uninstall) {
    app.event('app_uninstalled', uninstalled(opts.uninstall, opts.log, 'app_uninstalled'));
    app.event('tokens_revoked', uninstalled(opts.uninstall, opts.log, 'tokens_revoked'));
  }
  // `/permission role` and `/techuser create` alone open a form; everything else is the command.
  app.command('/permission', withForm(deps, permissionRoleCommand, permissionCommand(deps)));
  app.command('/techuser', withForm(deps, techuserCreateCommand, techuserCommand(deps)));
  app.action(ids.APPROVE, decideAction(deps, 'approve'));
  // Previous and Next under a /permission list page.
  app.action(ids.PERMISSION_LIST_PREVIOUS, permissionPageAction(deps));
  app.action(ids.PERMISSION_LIST_NEXT, permissionPageAction(deps));
  // Reject asks for a reason first; the form's submission decides.
  app.action(ids.REJECT, rejectAction(deps));
  app.view(forms.REJECT, rejectSubmitted(deps));
  app.view(forms.TECHUSER_CREATE, requestFormSubmitted(deps, techuserCreateSubmission));
  app.view(forms.PERMISSION_ROLE, requestFormSubmitted(deps, permissionRoleSubmission));
  // Its person picker searches as one types (block_suggestion); always answered with a list.
  app.options({ type: 'block_suggestion', block_id: fields.USER }, personOptionsListener(deps));
  app.event('app_home_opened', appHomeOpened(deps));
  app.event('subteam_members_changed', subteamMembersChanged(deps));
  app.event('user_change', userChange(deps));
  app.action(ids.REVEAL, revealAction(deps));
  app.action(ids.BREAK_GLASS_REVIEWED, breakGlassReviewAction(deps, 'reviewed'));
  app.action(ids.BREAK_GLASS_REVERT, breakGlassReviewAction(deps, 'reverted'));
  app.action(ids.ROTATE_TOKEN, expiryButton(deps, 'rotate'));
  app.action(ids.EXTEND_TOKEN, expiryButton(deps, 'extend'));
  // Under the DM about an applied grant: End now at once; Extend asks how long, then for approval.
  app.action(ids.GRANT_END_NOW, grantEndAction(deps));
  app.action(ids.GRANT_EXTEND, grantExtendAction(deps));
  app.view(forms.GRANT_EXTEND, grantExtendSubmitted(deps));
  app.action(ids.REVIEW_KEEP, reviewKeepAction(deps));
  app.action(ids.REVIEW_DELETE, reviewDeleteAction(deps));
  app.action(ids.REVIEW_TRANSFER, reviewTransferAction(deps));
  app.view(forms.TECHUSER_OWNER, requestFormSubmitted(deps, techuserOwnerSubmission));
  // The Workflow Builder step: Bolt acknowledges function_executed first, then the step runs.
  app.function(REQUEST_ROLE_STEP, requestRoleStep(deps));
  for (const [id, kind] of ACCESS_REVIEW_ACTIONS) app.action(id, accessReviewAction(deps, kind));
  app.error(async (err) => {
    if (err instanceof ReplayedRequest) return; // refused and logged by the receiver
    // Installable mode: a request from a Slack workspace Keywarden is not (or no longer) installed on.
    if ((err as { code?: string }).code === 'slack_bolt_authorization_error') {
      opts.log.warn({ reason: err.message }, 'refused a Slack request: Keywarden is not installed on its Slack workspace');
      return;
    }
    opts.log.error({ err }, 'unhandled error in a Slack listener');
  });
  return app;
}
