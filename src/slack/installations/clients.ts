/**
 * The Slack clients for each installation. With one bot token (SLACK_BOT_TOKEN) every call uses
 * it, as before. In the installable mode each call finds its installation's token when it is made
 * (InstallationTokens: refreshed first when it is about to expire), so a message that waited in a
 * queue goes with the token of its moment, and one for a Slack workspace that uninstalled
 * Keywarden fails with SlackNotInstalledError instead of reaching Slack.
 */
import { slackContext } from './context.js';
import { SlackNotInstalledError, type SlackClient } from '../slack-client.js';

/** The bot token for a Slack workspace (of organisation `enterpriseId`); null: not installed there. */
export interface BotTokens {
  botToken(teamId: string | null, enterpriseId: string | null): Promise<string | null>;
}

export class SlackClients {
  /** `tokens` null: one Slack workspace, one token (the base client's). */
  constructor(private readonly base: SlackClient, private readonly tokens: BotTokens | null) {}

  get installable(): boolean {
    return this.tokens !== null;
  }

  /** The client for the installation that speaks for `teamId` (its own, or its organisation's). */
  for(teamId: string, enterpriseId: string | null): SlackClient {
    const { tokens } = this;
    if (!tokens) return this.base;
    return this.base.withToken(async () => {
      const token = await tokens.botToken(teamId, enterpriseId);
      if (!token) throw new SlackNotInstalledError(teamId, enterpriseId);
      return token;
    });
  }

  /**
   * The client for whatever Slack request is being answered (context.ts): the token Bolt
   * authorised for it. Outside one, in the installable mode, a call fails as not installed.
   */
  current(): SlackClient {
    if (!this.tokens) return this.base;
    return this.base.withToken(async () => {
      const c = slackContext.current();
      const token = c?.botToken ?? (c ? await this.tokens!.botToken(c.teamId, c.enterpriseId) : null);
      if (!token) throw new SlackNotInstalledError(c?.teamId ?? null, c?.enterpriseId ?? null);
      return token;
    });
  }
}
