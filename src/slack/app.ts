/** The Bolt app: wiring only. Listeners get their dependencies; nothing reads the environment. */
import { App, type Receiver } from '@slack/bolt';
import type { Log } from '../app/ports.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackDeps } from './deps.js';
import { ids } from './ids.js';
import { decideAction } from './listeners/actions/decide.js';
import { permissionCommand } from './listeners/commands/permission.js';
import { techuserCommand } from './listeners/commands/techuser.js';
import { revealAction } from './listeners/actions/reveal.js';
import { expiryButton } from './listeners/actions/expiry-buttons.js';

export interface SlackAppOptions {
  botToken: string;
  apiUrl: string;
  log: Log;
  /** Our signed HTTP receiver, or Bolt's SocketModeReceiver. */
  receiver: Receiver;
}

export function createSlackApp(opts: SlackAppOptions, deps: SlackDeps): App {
  const app = new App({
    token: opts.botToken,
    receiver: opts.receiver,
    logger: boltLogger(opts.log),
    // Bolt checks the token with auth.test; deferred so the caller awaits init() and a bad token
    // or an unreachable Slack stops the start with a clear error instead of an unhandled rejection.
    deferInitialization: true,
    clientOptions: { slackApiUrl: opts.apiUrl, retryConfig: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 3000 } },
  });
  app.command('/permission', permissionCommand(deps));
  app.command('/techuser', techuserCommand(deps));
  app.action(ids.APPROVE, decideAction(deps, 'approve'));
  app.action(ids.REJECT, decideAction(deps, 'reject'));
  app.action(ids.REVEAL, revealAction(deps));
  app.action(ids.ROTATE_TOKEN, expiryButton(deps, 'rotate'));
  app.action(ids.EXTEND_TOKEN, expiryButton(deps, 'extend'));
  app.error(async (err) => {
    opts.log.error({ err }, 'unhandled error in a Slack listener');
  });
  return app;
}
