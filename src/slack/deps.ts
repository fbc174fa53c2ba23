import type { PermissionService } from '../app/permissions.js';
import type { Log, Store } from '../app/ports.js';
import type { RequestService } from '../app/requests.js';

/** What Slack listeners are given; they read nothing else (no process.env, no globals). */
export interface SlackDeps {
  store: Store;
  permissions: PermissionService;
  requests: RequestService;
  log: Log;
}
