/**
 * Keywarden's installations on Slack workspaces (installable mode, issue 23): one record per
 * Slack workspace it was installed on, or per Enterprise Grid organisation for an org-wide
 * install. The tokens are kept sealed (JWE, a key derived from KEYWARDEN_SECRET): the store never
 * holds them in plaintext.
 */
export interface SlackInstallation {
  /** The Slack workspace's id (`T…`) for a workspace install, the organisation's (`E…`) for an org-wide one. */
  id: string;
  teamId: string | null;
  enterpriseId: string | null;
  isEnterpriseInstall: boolean;
  appId: string | null;
  botUserId: string;
  botId: string | null;
  scopes: string[];
  sealedBotToken: string;
  /** With token rotation on: the refresh token, sealed. */
  sealedRefreshToken: string | null;
  /** When the bot token stops working (token rotation on); null: it does not expire. */
  expiresAt: Date | null;
  installedAt: Date;
  /** Bumped by every change: a token rotation compares and sets it, so two never both win. */
  version: number;
}

export type SlackInstallationTokens = Pick<SlackInstallation, 'sealedBotToken' | 'sealedRefreshToken' | 'expiresAt'>;

export interface SlackInstallationRepository {
  /** Stores an installation; a reinstall replaces the one before (its version goes on from it). */
  put(i: Omit<SlackInstallation, 'version'>): Promise<SlackInstallation>;
  findById(id: string): Promise<SlackInstallation | null>;
  /** The new tokens of a rotation, only if the installation is still at `version`; null when another rotation (or a reinstall, or an uninstall) came first. */
  rotate(id: string, version: number, tokens: SlackInstallationTokens): Promise<SlackInstallation | null>;
  /**
   * Removes it (uninstalled, tokens revoked); true when there was one. `installedBefore`: only an
   * installation made before then (an uninstall Slack sent again after a reinstall leaves the new one).
   */
  delete(id: string, installedBefore?: Date): Promise<boolean>;
}
