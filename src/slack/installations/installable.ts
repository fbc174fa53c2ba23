/**
 * The installable mode (issue 23), turned on by SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and
 * SLACK_STATE_SECRET: Bolt's OAuth flow (@slack/oauth's InstallProvider: the install path sets a
 * signed state in a cookie, the redirect checks it and exchanges Slack's code) into Keywarden's
 * store (bolt-store.ts, tokens sealed); each Slack request authorised with the token of the
 * installation that speaks for the team and organisation it names (tokens.ts, refreshed by one
 * process at a time); and an uninstall forgotten.
 */
import type { ServerResponse } from 'node:http';
import { webApi, type Authorize, type AuthorizeResult } from '@slack/bolt';
import { InstallProvider, type CallbackOptions } from '@slack/oauth';
import type { Redis } from 'ioredis';
import type { Clock, Log, SlackInstallationRepository } from '../../app/ports.js';
import type { Config } from '../../config.js';
import { JweTokenSealer } from '../../crypto/jwe-sealer.js';
import type { Route } from '../../http/server.js';
import { boltLogger } from '../bolt-logger.js';
import { KeywardenInstallationStore } from './bolt-store.js';
import { InstallationTokens } from './tokens.js';

/** The bot scopes an install asks for: the manifest's (test/manifest.test.ts keeps them equal). */
export const INSTALL_SCOPES = ['commands', 'chat:write', 'usergroups:read', 'users:read', 'users:read.email'];

/** The seal of installation tokens: a key of its own, derived from KEYWARDEN_SECRET. */
export const INSTALLATION_SEAL = 'slack-installation/v1';

export interface OAuthSettings { clientId: string; clientSecret: string; stateSecret: string }

/** The OAuth settings when the installable mode is on (loadConfig takes all three or none). */
export function slackOAuth(c: Pick<Config, 'SLACK_CLIENT_ID' | 'SLACK_CLIENT_SECRET' | 'SLACK_STATE_SECRET'>): OAuthSettings | null {
  if (!c.SLACK_CLIENT_ID || !c.SLACK_CLIENT_SECRET || !c.SLACK_STATE_SECRET) return null;
  return { clientId: c.SLACK_CLIENT_ID, clientSecret: c.SLACK_CLIENT_SECRET, stateSecret: c.SLACK_STATE_SECRET };
}

export interface Installable {
  tokens: InstallationTokens;
  /** Bolt's authorize: the installation for the team (and organisation) the request names. */
  authorize: Authorize<boolean>;
  /** GET /slack/install and GET /slack/oauth_redirect. */
  routes: Route[];
  /** app_uninstalled, tokens_revoked (bot): the installation is removed; true when there was one. */
  uninstall(q: { teamId: string | null; enterpriseId: string | null; isEnterpriseInstall: boolean; at: Date | null }): Promise<boolean>;
}

export function installable(o: {
  oauth: OAuthSettings; apiUrl: string; keywardenSecret: string; installations: SlackInstallationRepository;
  redis: Redis; prefix: string; clock: Clock; log: Log;
}): Installable {
  const { oauth, log } = o;
  const sealer = new JweTokenSealer(o.keywardenSecret, INSTALLATION_SEAL);
  // Without its debug lines: @slack/web-api writes each request body there, and redacts tokens
  // but not the client_secret that oauth.v2.access carries.
  const logger = { ...boltLogger(log), debug: () => {} };
  const clientOptions = { slackApiUrl: o.apiUrl, logger };
  // The refresh and the code exchange post client_id and client_secret: a client without a token.
  const noToken = new webApi.WebClient(undefined, clientOptions);
  const tokens = new InstallationTokens({
    installations: o.installations, sealer, redis: o.redis, prefix: o.prefix, clock: o.clock, log,
    refresh: async (refreshToken) => {
      const res = await noToken.oauth.v2.access({ client_id: oauth.clientId, client_secret: oauth.clientSecret, grant_type: 'refresh_token', refresh_token: refreshToken });
      if (!res.access_token || !res.refresh_token || typeof res.expires_in !== 'number') throw new Error('oauth.v2.access answered a refresh without new tokens');
      return { accessToken: res.access_token, refreshToken: res.refresh_token, expiresInSeconds: res.expires_in };
    },
  });
  const installer = new InstallProvider({
    clientId: oauth.clientId, clientSecret: oauth.clientSecret, stateSecret: oauth.stateSecret,
    installationStore: new KeywardenInstallationStore({ installations: o.installations, sealer, clock: o.clock }),
    installUrlOptions: { scopes: INSTALL_SCOPES },
    // The install path sends the browser straight on to Slack (no landing page of our own).
    directInstall: true,
    clientOptions, logger,
  });
  const done = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
  };
  const callbackOptions: CallbackOptions = {
    success: (i, _o, _req, res) => {
      log.info({ team: i.team?.id ?? null, enterprise: i.enterprise?.id ?? null, orgWide: i.isEnterpriseInstall === true }, 'Keywarden was installed on Slack');
      done(res, 200, 'Keywarden is installed. You can close this page and use /permission in Slack.');
    },
    failure: (err, _o, _req, res) => {
      log.warn({ code: err.code, reason: err.message }, 'a Slack install did not complete');
      done(res, 400, 'The install did not complete (it was cancelled, or its link was old or opened in another browser). Please start again from /slack/install.');
    },
  };
  const authorize: Authorize<boolean> = async (source) => {
    const teamId = source.teamId ?? null;
    const enterpriseId = source.enterpriseId ?? null;
    // An org-wide install speaks for every workspace of its organisation; a request says which it is.
    const i = source.isEnterpriseInstall && enterpriseId
      ? await o.installations.findById(enterpriseId)
      : await tokens.installationFor(teamId, enterpriseId);
    const botToken = i ? await tokens.botToken(i.isEnterpriseInstall ? null : i.id, i.enterpriseId) : null;
    if (!i || !botToken) throw new Error(`Keywarden is not installed on Slack workspace ${teamId ?? '-'} (organisation ${enterpriseId ?? '-'})`);
    const result: AuthorizeResult = { botToken, botUserId: i.botUserId, ...(i.botId && { botId: i.botId }), ...(teamId && { teamId }), ...(enterpriseId && { enterpriseId }) };
    return result;
  };
  return {
    tokens, authorize,
    routes: [
      { method: 'GET', path: '/slack/install', handler: (req, res) => installer.handleInstallPath(req, res) },
      { method: 'GET', path: '/slack/oauth_redirect', handler: (req, res) => installer.handleCallback(req, res, callbackOptions) },
    ],
    async uninstall(q) {
      const id = q.isEnterpriseInstall ? q.enterpriseId : q.teamId;
      // Slack sends an event again when it was not acked in time, possibly after a reinstall: an
      // uninstall removes only an installation made before it. event_time counts whole seconds, so
      // one made within the second after it is still taken for the one it removes.
      const before = q.at ? new Date(q.at.getTime() + 1000) : undefined;
      const gone = id ? await o.installations.delete(id, before) : false;
      log.info({ team: q.teamId, enterprise: q.enterpriseId, orgWide: q.isEnterpriseInstall, removed: gone }, 'Keywarden was uninstalled from Slack (or its tokens revoked); its installation is removed');
      return gone;
    },
  };
}
