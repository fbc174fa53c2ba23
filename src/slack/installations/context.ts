/**
 * Which Slack installation the work at hand is for. A request from Slack is authorised by Bolt
 * for the team (and, on Enterprise Grid, the organisation) it names; the listeners then reach
 * Slack through app services (who a person is, a user group's members) that take no Slack
 * workspace as an argument. The Bolt middleware (app.ts) runs each listener inside this context,
 * so those calls use the token Bolt authorised for that request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SlackContext {
  teamId: string | null;
  enterpriseId: string | null;
  /** The token Bolt authorised the request with. */
  botToken?: string;
}

const storage = new AsyncLocalStorage<SlackContext>();

export const slackContext = {
  run<T>(c: SlackContext, fn: () => T): T {
    return storage.run(c, fn);
  },
  current(): SlackContext | undefined {
    return storage.getStore();
  },
};

/** The app's SlackScope (app/ports/slack-scope.ts): a workspace's Slack calls in its Slack workspace's context. */
export const workspaceScope = {
  within<T>(ws: { slack: { teamId: string; enterpriseId?: string } }, fn: () => Promise<T>): Promise<T> {
    return slackContext.run({ teamId: ws.slack.teamId, enterpriseId: ws.slack.enterpriseId ?? null }, fn);
  },
};
