import type { Workspace } from '../../domain/workspace.js';

/**
 * Runs Slack calls made on behalf of a workspace (who a person is, a user group's members) with
 * the installation of that workspace's Slack workspace. One bot token: nothing to choose, so `fn`
 * runs as it is. Installable mode (slack/installations): the token of the workspace's installation.
 */
export interface SlackScope {
  within<T>(ws: Workspace, fn: () => Promise<T>): Promise<T>;
}

export const ONE_SLACK: SlackScope = { within: (_ws, fn) => fn() };
