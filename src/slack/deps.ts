import type { PermissionService } from '../app/permissions.js';
import type { Clock, Log, Store } from '../app/ports.js';
import type { RequestService } from '../app/requests.js';
import type { TechnicalUserService } from '../app/technical-users.js';

/** What Slack listeners are given; they read nothing else (no process.env, no globals). */
export interface SlackDeps {
  store: Store;
  permissions: PermissionService;
  requests: RequestService;
  technicalUsers: TechnicalUserService;
  clock: Clock;
  log: Log;
}
