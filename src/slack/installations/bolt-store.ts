/**
 * Bolt's InstallationStore on Keywarden's store (installable mode, issue 23): what the OAuth flow
 * (@slack/oauth's InstallProvider) hands over is kept in `slackInstallations`, its tokens sealed
 * under the installation's own context, and given back opened when Bolt asks.
 */
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Clock, SlackInstallationRepository, TokenSealer } from '../../app/ports.js';
import { sealContext } from './tokens.js';

/** The record's id: the organisation's for an org-wide install, else the Slack workspace's. */
export function installationId(q: { isEnterpriseInstall?: boolean; teamId?: string; enterpriseId?: string }): string | null {
  return (q.isEnterpriseInstall ? q.enterpriseId : q.teamId) ?? null;
}

export class KeywardenInstallationStore implements InstallationStore {
  constructor(private readonly o: { installations: SlackInstallationRepository; sealer: TokenSealer; clock: Clock }) {}

  async storeInstallation(i: Installation): Promise<void> {
    const org = i.isEnterpriseInstall === true;
    const id = installationId({ isEnterpriseInstall: org, teamId: i.team?.id, enterpriseId: i.enterprise?.id });
    if (!id || !i.bot) throw new Error('an installation without a Slack workspace or organisation, or without a bot token, cannot be stored');
    const { sealer } = this.o;
    await this.o.installations.put({
      id, teamId: org ? null : (i.team?.id ?? null), enterpriseId: i.enterprise?.id ?? null, isEnterpriseInstall: org,
      appId: i.appId ?? null, botUserId: i.bot.userId, botId: i.bot.id ?? null, scopes: [...i.bot.scopes],
      sealedBotToken: await sealer.seal(i.bot.token, sealContext(id, 'bot')),
      sealedRefreshToken: i.bot.refreshToken ? await sealer.seal(i.bot.refreshToken, sealContext(id, 'refresh')) : null,
      // Bolt gives expiresAt in seconds since the epoch.
      expiresAt: i.bot.expiresAt ? new Date(i.bot.expiresAt * 1000) : null,
      installedAt: this.o.clock.now(),
    });
  }

  async fetchInstallation(q: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const id = installationId(q);
    const i = id ? await this.o.installations.findById(id) : null;
    if (!i) throw new Error(`no installation for ${id ?? 'an unnamed Slack workspace'}`);
    const { sealer } = this.o;
    return {
      team: i.teamId ? { id: i.teamId } : undefined,
      enterprise: i.enterpriseId ? { id: i.enterpriseId } : undefined,
      isEnterpriseInstall: i.isEnterpriseInstall,
      user: { token: undefined, scopes: undefined, id: '' },
      bot: {
        token: await sealer.open(i.sealedBotToken, sealContext(i.id, 'bot')),
        ...(i.sealedRefreshToken && { refreshToken: await sealer.open(i.sealedRefreshToken, sealContext(i.id, 'refresh')) }),
        ...(i.expiresAt && { expiresAt: Math.floor(i.expiresAt.getTime() / 1000) }),
        scopes: i.scopes, id: i.botId ?? '', userId: i.botUserId,
      },
      ...(i.appId && { appId: i.appId }),
      authVersion: 'v2',
    } as Installation<'v2', boolean>;
  }

  async deleteInstallation(q: InstallationQuery<boolean>): Promise<void> {
    const id = installationId(q);
    if (id) await this.o.installations.delete(id);
  }
}
