/**
 * The bot token of each installation (installable mode, issue 23), opened from its sealed record,
 * and refreshed before it expires when Slack's token rotation is on. A refresh is shared by every
 * process: one holds a short Redis lock for the installation while it asks Slack, the others wait
 * for the record to change and use its new token; and the new tokens are stored by a
 * compare-and-set on the record's version. Slack's refresh tokens are used once, so two
 * refreshes racing would leave one process with a token Slack no longer takes: the lock keeps
 * that from happening, the compare-and-set keeps a stale refresh from overwriting a newer one.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Clock, Log, SlackInstallation, SlackInstallationRepository, TokenSealer } from '../../app/ports.js';

/** A token expiring sooner than this is refreshed first (Slack's tokens last 12 hours). */
export const REFRESH_BEFORE_MS = 15 * 60_000;
const LOCK_MS = 20_000;
const WAIT_STEP_MS = 100;

/** What Slack answers to a refresh (oauth.v2.access, grant_type=refresh_token). */
export interface RefreshedTokens { accessToken: string; refreshToken: string; expiresInSeconds: number }

export interface InstallationTokenOptions {
  installations: SlackInstallationRepository;
  sealer: TokenSealer;
  redis: Redis;
  prefix: string;
  clock: Clock;
  log: Log;
  refresh(refreshToken: string): Promise<RefreshedTokens>;
}

/** The sealing context of an installation's tokens: a sealed token opens only for its own installation. */
export const sealContext = (installationId: string, what: 'bot' | 'refresh') => `slack-installation:${installationId}:${what}`;

export class InstallationTokens {
  /**
   * Bot tokens opened before, by installation, with the sealed form they came from. The record is
   * still read at every call (an uninstall or a reinstall shows at once); only opening it again is
   * spared when it is the same: a JWE open took about 120 µs of CPU here (jose, 20,000 opens),
   * paid at every Slack call, three an apply, against about 1 ms for the whole apply job.
   */
  private readonly opened = new Map<string, { sealed: string; token: string }>();

  constructor(private readonly o: InstallationTokenOptions) {}

  /**
   * The installation that speaks for Slack workspace `teamId`: its own, or its organisation's
   * org-wide one (`enterpriseId`, as each command, click and event says). Null: not installed.
   */
  async installationFor(teamId: string | null, enterpriseId: string | null): Promise<SlackInstallation | null> {
    const own = teamId ? await this.o.installations.findById(teamId) : null;
    return own ?? (enterpriseId ? this.o.installations.findById(enterpriseId) : null);
  }

  /** The bot token to use now for `teamId` (refreshed first when it is about to expire); null when not installed. */
  async botToken(teamId: string | null, enterpriseId: string | null = null): Promise<string | null> {
    let i = await this.installationFor(teamId, enterpriseId);
    if (!i) return null;
    if (this.expiring(i)) i = await this.refreshed(i);
    return i ? this.open(i) : null;
  }

  private async open(i: SlackInstallation): Promise<string> {
    const known = this.opened.get(i.id);
    if (known?.sealed === i.sealedBotToken) return known.token;
    const token = await this.o.sealer.open(i.sealedBotToken, sealContext(i.id, 'bot'));
    this.opened.set(i.id, { sealed: i.sealedBotToken, token });
    return token;
  }

  private expiring(i: SlackInstallation): boolean {
    return i.expiresAt !== null && i.sealedRefreshToken !== null && i.expiresAt.getTime() - this.o.clock.now().getTime() < REFRESH_BEFORE_MS;
  }

  /** The installation after a refresh, by this process or another; null when it was uninstalled meanwhile. */
  private async refreshed(stale: SlackInstallation): Promise<SlackInstallation | null> {
    const { redis, prefix, installations, sealer, log } = this.o;
    const lock = `${prefix}:slack-refresh:${stale.id}`;
    const me = randomUUID();
    const deadline = Date.now() + LOCK_MS;
    while (!(await redis.set(lock, me, 'PX', LOCK_MS, 'NX'))) {
      // Another process is refreshing: its new token is stored under a new version.
      await sleep(WAIT_STEP_MS);
      const now = await installations.findById(stale.id);
      if (!now || now.version !== stale.version) return now;
      if (Date.now() > deadline) return now;
    }
    try {
      const current = await installations.findById(stale.id);
      if (!current || current.version !== stale.version || !this.expiring(current)) return current;
      const refreshToken = await sealer.open(current.sealedRefreshToken!, sealContext(current.id, 'refresh'));
      const fresh = await this.o.refresh(refreshToken);
      const rotated = await installations.rotate(current.id, current.version, {
        sealedBotToken: await sealer.seal(fresh.accessToken, sealContext(current.id, 'bot')),
        sealedRefreshToken: await sealer.seal(fresh.refreshToken, sealContext(current.id, 'refresh')),
        expiresAt: new Date(this.o.clock.now().getTime() + fresh.expiresInSeconds * 1000),
      });
      if (!rotated) log.warn({ installation: current.id }, 'a Slack token refresh lost to a reinstall or an uninstall; using the stored installation');
      else log.info({ installation: current.id }, 'refreshed a Slack bot token');
      return rotated ?? (await installations.findById(current.id));
    } finally {
      // Only our own lock: one that expired and was taken by another process stays theirs.
      await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, lock, me);
    }
  }
}
