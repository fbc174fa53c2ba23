/**
 * The composition root: config in, a running Keywarden out. main.ts calls it for real; tests and
 * benchmarks call it with their own Redis, fake Slack and clock. Which halves run follows ROLE.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AccessTokenService, ACCESS_TOKEN_LIFETIME_SECONDS } from './app/access-tokens.js';
import { AuditService } from './app/audit.js';
import { LastUsedRecorder } from './app/last-used.js';
import { TechnicalUserChanges } from './app/technical-user-changes.js';
import { OwnershipReviewService } from './app/ownership-reviews.js';
import { PermissionApiService } from './app/permission-api.js';
import { ExpiryService } from './app/expiry.js';
import { GrantRequests } from './app/grant-requests.js';
import { GrantService } from './app/grants.js';
import { GrantApiService } from './app/grant-api.js';
import { BullGrantTimer, createGrantQueue } from './queue/grant-timer.js';
import { PermissionRequests } from './app/permission-requests.js';
import { PermissionService } from './app/permissions.js';
import { TechnicalUserRequests } from './app/technical-user-requests.js';
import { TechnicalUserService } from './app/technical-users.js';
import { JoseAccessTokenSigner } from './crypto/access-token-signer.js';
import { JweTokenSealer } from './crypto/jwe-sealer.js';
import { SigningKeyRing } from './crypto/signing-keys.js';
import { systemClock, type Clock, type Log, type Store } from './app/ports.js';
import { RequestService } from './app/requests.js';
import { RetiredWorkspaces } from './app/retired-workspaces.js';
import { applySeed } from './app/seed.js';
import type { Config } from './config.js';
import { healthRoutes } from './http/health.js';
import { startWeb } from './web.js';
import { createLog } from './log.js';
import { BullApplyQueue, createApplyQueue } from './queue/apply-queue.js';
import { redisConnection } from './queue/connection.js';
import { QUEUE_PREFIX } from './queue/names.js';
import { SlackNotifier } from './slack/notifier.js';
import { outboundBacklog } from './slack/outbound/backlog.js';
import { OutboundDelivery } from './slack/outbound/delivery.js';
import type { LaneLimits } from './slack/outbound/lanes.js';
import { LANES, type Lane } from './slack/outbound/messages.js';
import { createOutboundQueue, Outbound } from './slack/outbound/outbound.js';
import { RequestMessages } from './app/request-messages.js';
import { SlackReviewNotifier } from './slack/review-notifier.js';
import { SlackDirectory } from './slack/directory.js';
import { SlackPeople } from './slack/people.js';
import { Identities } from './app/identity.js';
import { AccessReviewService } from './app/access-reviews.js';
import { AccessReviewClosing } from './app/access-review-closing.js';
import { AccessReviewDecisions } from './app/access-review-decisions.js';
import { AccessReviewEvidence } from './app/access-review-evidence.js';
import { reviewAuthority } from './app/access-review-changes.js';
import { SlackAccessReviewNotifier } from './slack/access-review-notifier.js';
import { HOME_ITEMS, reviewHomeBlocks } from './slack/blocks/access-review-pages.js';
import { Policies } from './app/policies.js';
import { BreakGlassService } from './app/break-glass.js';
import { Escalations } from './app/escalation.js';
import { createSlackClient, type SlackClientBounds } from './slack/slack-client.js';
import { openStore } from './store/index.js';
import { listenForOperations, operationsRoutes } from './http/operations.js';
import { logDestination } from './log-pretty.js';
import { meteredStore } from './metrics/metered-store.js';
import { KeywardenMetrics } from './metrics/metrics.js';
import { readSeedFile } from './store/seed-file.js';
import { startWorkers, type RunningWorkers } from '../jobs/worker.js';
import type { OutboundWorkerOptions } from '../jobs/outbound.js';

export interface KeywardenOptions {
  log?: Log;
  clock?: Clock;
  /** Key prefix of the BullMQ queues (tests isolate themselves with their own). */
  queuePrefix?: string;
  /** How often the outbox sweep runs (ms). */
  sweepEveryMs?: number;
  /** Use this store instead of opening MONGODB_URI (tests share one with their assertions). */
  store?: Store;
  /** Timeouts and retries of the Slack Web API client (tests shorten them). */
  slackClientBounds?: Partial<SlackClientBounds>;
  /** How fast the outbound lanes call Slack (default: Slack's published limits; benchmarks against an unlimited fake pass none). */
  slackLanes?: LaneLimits;
  /** The outbound workers' timings (tests shorten them). */
  outboundWorker?: Pick<OutboundWorkerOptions, 'watchEveryMs' | 'backlogWarnSeconds' | 'maximumRateLimitDelayMs'>;
}

export interface Keywarden {
  /** Base URL of the HTTP server (web role), e.g. http://127.0.0.1:3000 */
  url: string | null;
  store: Store;
  requests: RequestService;
  permissions: PermissionService;
  technicalUsers: TechnicalUserService;
  expiry: ExpiryService;
  grants: GrantService;
  reviews: OwnershipReviewService;
  accessReviews: AccessReviewService;
  accessReviewClosing: AccessReviewClosing;
  stop(): Promise<void>;
}

export async function startKeywarden(config: Config, opts: KeywardenOptions = {}): Promise<Keywarden> {
  const log = opts.log ?? createLog(config.LOG_LEVEL, logDestination(config.LOG_FORMAT));
  const clock = opts.clock ?? systemClock;
  const prefix = opts.queuePrefix ?? QUEUE_PREFIX;
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => log.warn({ err }, 'error while stopping'));
  };
  try {
    // Request metrics are taken at the store, where each state change is made exactly once.
    const metrics = new KeywardenMetrics();
    const store = meteredStore(opts.store ?? (await openStore(config.MONGODB_URI, log)), metrics);
    stops.push(() => store.close());
    await store.init();
    metrics.watchTokens(store.technicalUsers, () => clock.now(), log);
    metrics.watchGrants([store.permissions, store.technicalUsers], log);
    metrics.watchReviews(store.ownership, log);
    if (config.SEED_FILE) await applySeed(store, await readSeedFile(config.SEED_FILE), log, clock.now());

    // Bounded: a Slack outage must not hold a queue job for half an hour. A 429 is not waited out
    // by the call: the outbound path queues the message in its lane, which waits for every caller.
    const slackClient = createSlackClient({
      token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, log, bounds: { ...opts.slackClientBounds, rateLimitRetries: 0 },
    });
    const producer: Redis = redisConnection(config.REDIS_URL, 'producer');
    producer.on('error', (err) => log.debug({ err: err.message }, 'redis (producer) connection error'));
    const applyQueue: Queue = createApplyQueue(producer, prefix);
    // Without a listener BullMQ prints every connection error to stderr; the producer's are expected
    // while Redis is away (approvals wait in the outbox) and already logged above.
    applyQueue.on('error', (err) => log.debug({ err: err.message }, 'apply queue (producer) error'));
    stops.push(async () => {
      await applyQueue.close();
      producer.disconnect();
    });

    const outboundQueues = Object.fromEntries(LANES.map((lane) => [lane, createOutboundQueue(producer, lane, prefix)])) as Record<Lane, ReturnType<typeof createOutboundQueue>>;
    for (const q of Object.values(outboundQueues)) {
      q.on('error', (err) => log.debug({ err: err.message }, 'outbound queue (producer) error'));
      stops.push(() => q.close());
    }
    // One per process: the web process forgets a group when Slack says it changed.
    const directory = new SlackDirectory(slackClient);
    const policies = new Policies(directory);
    const delivery = new OutboundDelivery({
      client: slackClient, store, clock, log, policies,
      // The reveal deadline shown in the DM is the one the token was sealed with.
      revealBy: async (r) => (await store.tokenReveals.findById(r.id))?.expiresAt ?? null,
      // Read when a Home tab is sent, long after the decisions service below exists.
      reviewHome: async (teamId: string, userId: string): Promise<ReturnType<typeof reviewHomeBlocks>> => reviewHomeBlocks(await accessReviewDecisions.homePages(teamId, userId, HOME_ITEMS)),
    });
    const outbound = new Outbound({ queues: outboundQueues, delivery, log, limits: opts.slackLanes, counters: metrics });
    metrics.watchOutbound(() => outboundBacklog(outboundQueues), log);

    const permissions = new PermissionService(store, clock);
    const notifier = new SlackNotifier(outbound);
    const technicalUsers = new TechnicalUserService({
      store, clock, log, notifier, sealer: new JweTokenSealer(config.KEYWARDEN_SECRET), revealTtlHours: config.TOKEN_REVEAL_TTL_HOURS,
    });
    const grantQueue: Queue = createGrantQueue(producer, prefix);
    grantQueue.on('error', (err) => log.debug({ err: err.message }, 'grant queue (producer) error'));
    stops.push(() => grantQueue.close());
    const grants = new GrantService({ store, clock, log, notifier, timer: new BullGrantTimer(grantQueue, clock), observer: metrics });
    // The reviews open delete requests through the request service, whose technical-user handler
    // gives each new technical user its owner through the reviews: the closure breaks the circle.
    const owners: Pick<OwnershipReviewService, 'adopt' | 'transfer'> = {
      adopt: (tu, owner) => reviews.adopt(tu, owner),
      transfer: (tu, owner, requestId) => reviews.transfer(tu, owner, requestId),
    };
    // Who is who: cached in Redis, so a user_change heard by the web process reaches the workers.
    // Its own client: a 429 on users.info is waited out briefly (a click's answer can wait a
    // second), where the outbound path's client fails at once and queues the message instead.
    const peopleClient = createSlackClient({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, log, bounds: { ...opts.slackClientBounds, rateLimitRetries: 2, maxRetryAfterSeconds: 5 } });
    const people = new SlackPeople({ client: peopleClient, redis: producer, clock, log });
    const identities = new Identities({ people, log });
    const breakGlass = new BreakGlassService({ store, clock, log, notifier, grants, policies, identities });
    const escalations = new Escalations({ store, clock, log, notifier });
    const applyQueuePort = new BullApplyQueue(applyQueue);
    const requests = new RequestService({
      store, clock, log, notifier, queue: applyQueuePort, policies, identities,
      sources: { authority: (r, ws) => reviewAuthority({ store, policies }, r, ws) },
      handlers: {
        permission: new PermissionRequests(permissions),
        techuser: new TechnicalUserRequests({
          store, users: technicalUsers, clock, owners, changes: new TechnicalUserChanges({ store, users: technicalUsers, clock, owners }),
        }),
        grant: new GrantRequests({ store, grants, clock }),
      },
    });
    // Pending requests of workspaces gone from the seed file end now; a Slack outage must not hold
    // the start, so this runs on while the process starts, and stop() waits for it.
    const retiring = new RetiredWorkspaces({ store, notifier, clock, log }).cancelPending()
      .catch((err: unknown) => log.error({ err }, 'could not cancel the pending requests of retired workspaces'));
    stops.push(() => retiring);
    const reviews: OwnershipReviewService = new OwnershipReviewService({ store, notifier, reviews: new SlackReviewNotifier(outbound), requests, clock, log });
    const accessReviewDeps = { store, clock, log, policies, identities, notifier: new SlackAccessReviewNotifier(outbound), queue: applyQueuePort };
    const accessReviews = new AccessReviewService(accessReviewDeps);
    const accessReviewClosing = new AccessReviewClosing(accessReviewDeps);
    const accessReviewDecisions: AccessReviewDecisions = new AccessReviewDecisions(accessReviewDeps);
    const signingKeys = new SigningKeyRing({
      keys: store.signingKeys, secret: config.KEYWARDEN_SECRET, clock, log,
      tokenLifetimeSeconds: ACCESS_TOKEN_LIFETIME_SECONDS, configuredKey: config.ACCESS_TOKEN_PRIVATE_KEY,
    });
    // A key that cannot be read or opened (a changed KEYWARDEN_SECRET) stops the start, not the first call.
    if (config.ROLE !== 'worker') await signingKeys.ready();
    const accessTokens = new AccessTokenService({
      store, clock, log, signer: new JoseAccessTokenSigner(signingKeys), lastUsed: new LastUsedRecorder({ store, clock, log }),
    });
    const permissionApi = new PermissionApiService({ store, permissions });
    const expiry = new ExpiryService({ store, notifier, clock, log });
    const grantApi = new GrantApiService({ store, grants });
    const audit = new AuditService({ store });
    const accessReviewEvidence = new AccessReviewEvidence({ store });
    const services = { store, permissions, requests, technicalUsers, grants, log, clock, accessTokens, permissionApi, grantApi, outbound, audit, reviews, directory, breakGlass, people, accessReviews, accessReviewClosing, accessReviewDecisions, accessReviewEvidence };

    let url: string | null = null;
    // GET /metrics, and Bull Board at /admin/queues when BULL_BOARD_USERNAME/PASSWORD are set.
    const ops = await operationsRoutes({ config, metrics, connection: producer, prefix, log });
    stops.push(() => ops.close());
    if (config.ROLE !== 'worker') url = await startWeb(config, prefix, services, producer, stops, ops.routes);
    else {
      // A worker serves no Slack or API, but its health checks and job metrics are worth a port.
      const server = await listenForOperations(config.PORT, [...healthRoutes({ store, redis: producer }), ...ops.routes], log, {
        trustedProxies: config.TRUSTED_PROXIES,
      });
      stops.push(() => server.close());
      url = server.url;
    }
    if (config.ROLE !== 'web') {
      const workers: RunningWorkers = await startWorkers({
        redisUrl: config.REDIS_URL, requests, technicalUsers, expiry, grants, reviews, breakGlass, escalations, log, prefix,
        accessReviews: { startDue: () => accessReviews.startDue(), sweep: () => accessReviewClosing.sweep() },
        sweepEveryMs: opts.sweepEveryMs, expiryScanEveryMs: config.EXPIRY_SCAN_INTERVAL_SECONDS * 1000, metrics,
        outbound: {
          store, delivery, outbound, queues: outboundQueues, limits: opts.slackLanes, ...opts.outboundWorker,
          undelivered: (r, message, why) => new RequestMessages({ store, notifier, clock, log }).noteUndelivered(r, message, why),
        },
      });
      stops.push(() => workers.close());
    }
    log.info({ role: config.ROLE, store: store.kind, url }, 'keywarden started');
    return { url, store, requests, permissions, technicalUsers, expiry, grants, reviews, accessReviews, accessReviewClosing, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

