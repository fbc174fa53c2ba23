/**
 * The web half of a Keywarden process (ROLE=web or all): one HTTP server for Slack's requests,
 * the MTM-compatible API, health checks and the operator's routes, with the guards of the web
 * edge; or Slack over Socket Mode beside the API. keywarden.ts decides whether it runs.
 */
import type { AddressInfo } from 'node:net';
import { App, SocketModeReceiver } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { apiRoutes, type ApiDeps } from './api/index.js';
import { RedisRateLimiter } from './api/rate-limiter.js';
import { TokenExchangeGuard } from './api/token-limits.js';
import { systemClock } from './app/ports.js';
import type { Config } from './config.js';
import { healthRoutes, type LeanixHealthSource } from './http/health.js';
import { createHttpServer, type Route } from './http/server.js';
import { redisConnection } from './queue/connection.js';
import { createSlackApp } from './slack/app.js';
import { boltLogger } from './slack/bolt-logger.js';
import type { SlackDeps } from './slack/deps.js';
import { SignedHttpReceiver } from './slack/receiver.js';
import { RedisReplayGuard } from './slack/replay-guard.js';
import { slackTransport } from './slack/transport.js';
import type { Installable } from './slack/installations/installable.js';

/** Starts the web half; what it opens is added to `stops`. Resolves with the server's base URL. */
export async function startWeb(
  config: Config, prefix: string, services: SlackDeps & ApiDeps & { leanix?: LeanixHealthSource; installable?: Installable | null }, producer: Redis, stops: Array<() => Promise<unknown>>,
  operations: Route[] = [],
): Promise<string> {
  // Guards of the web edge, in Redis so every web process shares them (fail open: http/redis-guard.ts).
  const { log } = services;
  const guards: Redis = redisConnection(config.REDIS_URL, 'guard');
  guards.on('error', (err) => log.debug({ err: err.message }, 'redis (guards) connection error'));
  stops.push(async () => guards.disconnect());
  const tokenGuard = new TokenExchangeGuard(new RedisRateLimiter(guards, prefix, log), {
    perAddressPerMinute: config.TOKEN_EXCHANGE_PER_ADDRESS_PER_MINUTE, perTokenPerMinute: config.TOKEN_EXCHANGE_PER_TOKEN_PER_MINUTE,
  });
  const replayGuard = new RedisReplayGuard(guards, prefix, log);
  const d = { ...services, tokenGuard };
  const routes: Route[] = [...healthRoutes({ store: d.store, redis: producer, leanix: d.leanix }), ...apiRoutes(d), ...operations];
  let socketApp: App | null = null;
  const transport = slackTransport(config);
  // One bot token, or (installable) each request authorised by its installation; the OAuth flow's two pages.
  const installs = services.installable ?? null;
  const auth = installs ? { authorize: installs.authorize, uninstall: installs.uninstall } : { botToken: config.SLACK_BOT_TOKEN };
  if (installs) routes.push(...installs.routes);
  if (transport.mode === 'socket') {
    // Socket Mode: Slack reaches us over a websocket; the HTTP server still serves the API.
    const receiver = new SocketModeReceiver({ appToken: transport.appToken, logger: boltLogger(d.log) });
    socketApp = createSlackApp({ ...auth, apiUrl: config.SLACK_API_URL, log: d.log, receiver }, d);
    await initSlack(socketApp, installs !== null);
  } else {
    // Signature freshness is about the wire, so it follows the real clock, not the domain one.
    const receiver = new SignedHttpReceiver({ signingSecret: transport.signingSecret, log: d.log, clock: systemClock, replayGuard });
    await initSlack(createSlackApp({ ...auth, apiUrl: config.SLACK_API_URL, log: d.log, receiver }, d), installs !== null);
    routes.push({ method: 'POST', path: '/slack/events', handler: (req, res) => receiver.handle(req, res) });
  }
  const server = createHttpServer(routes, d.log, { trustedProxies: config.TRUSTED_PROXIES });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, resolve);
  });
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  );
  if (socketApp) {
    await socketApp.start();
    stops.push(() => socketApp.stop());
  }
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

async function initSlack(app: App, installable: boolean): Promise<void> {
  try {
    await app.init();
  } catch (err) {
    // Installable: no token to verify at start (each installation's is checked as it is used).
    if (installable) throw err;
    throw new Error(`could not verify SLACK_BOT_TOKEN with Slack at SLACK_API_URL (auth.test: ${(err as Error).message})`);
  }
}
