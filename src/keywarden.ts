/**
 * The composition root: config in, a running Keywarden out. main.ts calls it for real; tests and
 * benchmarks call it with their own Redis, fake Slack and clock. Which halves run follows ROLE.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AccessTokenService, ACCESS_TOKEN_LIFETIME_SECONDS } from './app/access-tokens.js';
import { ApiRequestService } from './app/api-requests.js';
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
import { SlackPacer } from './slack/outbound/pacer.js';
import { DEFAULT_TEAM } from './slack/outbound/delivery.js';
import { RequestMessages } from './app/request-messages.js';
import { SlackReviewNotifier } from './slack/review-notifier.js';
import { SlackDirectory } from './slack/directory.js';
import { SlackPeople } from './slack/people.js';
import { Identities } from './app/identity.js';
import { tellFoundSubject } from './app/subject-notice.js';
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
import { createSlackClient, SlackNotInstalledError, type SlackClientBounds } from './slack/slack-client.js';
import { SlackClients } from './slack/installations/clients.js';
import { workspaceScope } from './slack/installations/context.js';
import { installable, slackOAuth } from './slack/installations/installable.js';
import { openStore } from './store/index.js';
import { listenForOperations, operationsRoutes } from './http/operations.js';
import { logDestination } from './log-pretty.js';
import { meteredStore } from './metrics/metered-store.js';
import { KeywardenMetrics } from './metrics/metrics.js';
import { readSeedFile } from './store/seed-file.js';
import { LeanixConnections, type LeanixTransportOptions } from './leanix/connections.js';
import { LeanixTargets, type LeanixTargetOptions } from './leanix/permission-target.js';
import { tellWhenUnauthorised } from './leanix/unauthorised-notice.js';
import { startWorkers, type RunningWorkers } from '../jobs/worker.js';
import { Drift } from './leanix/drift.js';
import { LeanixSync } from './leanix/sync.js';
import { syncTargets } from './leanix/sync-targets.js';
import { RedisSyncState } from './leanix/sync-state.js';
import { grantsOutside } from './leanix/grant-outside.js';
import type { OutboundWorkerOptions } from '../jobs/outbound.js';
import { startWebhookWorker, type WebhookWorkerOptions } from '../jobs/webhooks.js';
import { WebhookDelivery } from './app/webhooks.js';
import { withWorkflowSteps, WorkflowSteps } from './app/workflow-steps.js';
import { SlackStepCompleter, SlackUserEmails, stepClient } from './slack/step-slack.js';
import { PeopleSearch, type PeopleSearchOptions } from './app/people-search.js';
import { WebhookEventLog } from './webhooks/event-log.js';
import { httpPoster } from './webhooks/http-post.js';
import { notingStore } from './webhooks/noting-store.js';

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
  /** Webhook delivery timings (tests shorten them). */
  webhooks?: Pick<WebhookWorkerOptions, 'sweepEveryMs' | 'backoffMs' | 'lockDurationMs'> & { timeoutMs?: number };
  /** How often the LeanIX mirror sync's tick runs (ms; default 30 s, the shortest syncSeconds). */
  leanixSyncTickMs?: number;
  /** How the LeanIX clients call LeanIX (tests: short timeouts, a sleep that moves their clock). */
  leanixTransport?: LeanixTransportOptions;
  /** How long an outage may hold an approved change, and how often it is tried meanwhile (tests shorten the wait). */
  leanixApply?: LeanixTargetOptions;
  /** The person picker's index and search bound (tests shorten the bound). */
  peopleSearch?: Partial<PeopleSearchOptions>;
}

/** The secret of every workspace's hooks, by variable name, from the configuration. */
async function readWebhookSecrets(store: Store, config: Config): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  for (const ws of await store.workspaces.list()) {
    for (const h of ws.webhooks ?? []) secrets.set(h.secretEnv, config.secretFromEnv(h.secretEnv, `the secret of webhook ${new URL(h.url).origin} of workspace ${ws.name}`));
  }
  return secrets;
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
  /** Changes found in connected LeanIX workspaces that Keywarden did not make. */
  drift: Drift;
  /** The LeanIX connections of connected workspaces (empty when none is connected). */
  leanix: LeanixConnections;
  accessReviews: AccessReviewService;
  accessReviewClosing: AccessReviewClosing;
  stop(): Promise<void>;
}

export async function startKeywarden(config: Config, opts: KeywardenOptions = {}): Promise<Keywarden> {
  const log = opts.log ?? createLog(config.LOG_LEVEL, logDestination(config.LOG_FORMAT));
  const clock = opts.clock ?? systemClock;
  const prefix = opts.queuePrefix ?? QUEUE_PREFIX;
  const stops: Array<() => Promise<unknown>> = [];
  // Once, however often it is called (a second SIGTERM, a test that stops a process it killed).
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    for (const s of [...stops].reverse()) await s().catch((err: unknown) => log.warn({ err }, 'error while stopping'));
  })());
  try {
    // Request metrics are taken at the store, where each state change is made exactly once.
    const metrics = new KeywardenMetrics();
    // Webhooks: each state change and history line is noted for them (webhooks/noting-store.ts),
    // in the event log attached below once Redis is open.
    let eventLog: WebhookEventLog | null = null;
    // Workspaces with webhooks, as the seed (applied below) says: the others are never noted.
    let hooked = new Set<string>();
    const store = notingStore(
      meteredStore(opts.store ?? (await openStore(config.MONGODB_URI, log)), metrics), (ws) => (hooked.has(ws) ? eventLog : null), log, () => clock.now(),
      // A status change is owed to the webhooks (written with it) only where some workspace has them.
      () => hooked.size > 0,
    );
    stops.push(() => store.close());
    await store.init();
    metrics.watchTokens(store.technicalUsers, () => clock.now(), log);
    metrics.watchGrants([store.permissions, store.technicalUsers], log);
    metrics.watchReviews(store.ownership, log);
    const seed = config.SEED_FILE ? await readSeedFile(config.SEED_FILE) : null;
    // Before the seed is applied: a connected workspace without its token stops the start, changing nothing.
    const leanix = LeanixConnections.open(seed ? seed.workspaces : await store.workspaces.list(), config.variable, {
      clock, log, transport: opts.leanixTransport,
      observe: (workspace) => ({ call: (e) => metrics.leanixCall(workspace, e.op, e.status, e.seconds) }),
    });
    if (seed) await applySeed(store, seed, log, clock.now());
    // Every hook's secret, read now: a missing one stops the start, naming its variable.
    const webhookSecrets = await readWebhookSecrets(store, config);
    hooked = new Set((await store.workspaces.list()).filter((ws) => (ws.webhooks ?? []).length > 0).map((ws) => ws.id));

    // Bounded: a Slack outage must not hold a queue job for half an hour. A 429 is not waited out
    // by the call: the outbound path queues the message in its lane, which waits for every caller.
    // One Slack workspace: SLACK_BOT_TOKEN for every call. Installable: each call's installation's
    // token (installations/clients.ts), so this client's own token is never used.
    const oauth = slackOAuth(config);
    const botToken = config.SLACK_BOT_TOKEN ?? (async (): Promise<string> => {
      throw new SlackNotInstalledError(null, null);
    });
    const slackClient = createSlackClient({
      token: botToken, apiUrl: config.SLACK_API_URL, log, bounds: { ...opts.slackClientBounds, rateLimitRetries: 0 },
    });
    const producer: Redis = redisConnection(config.REDIS_URL, 'producer');
    producer.on('error', (err) => log.debug({ err: err.message }, 'redis (producer) connection error'));
    const installs = oauth && installable({
      oauth, apiUrl: config.SLACK_API_URL, keywardenSecret: config.KEYWARDEN_SECRET, installations: store.slackInstallations, redis: producer, prefix, clock, log,
    });
    const slackClients = new SlackClients(slackClient, installs ? installs.tokens : null);
    const applyQueue: Queue = createApplyQueue(producer, prefix);
    // Without a listener BullMQ prints every connection error to stderr; the producer's are expected
    // while Redis is away (approvals wait in the outbox) and already logged above.
    applyQueue.on('error', (err) => log.debug({ err: err.message }, 'apply queue (producer) error'));
    stops.push(async () => {
      await applyQueue.close();
      producer.disconnect();
    });

    eventLog = new WebhookEventLog(producer, prefix);
    const outboundQueues = Object.fromEntries(LANES.map((lane) => [lane, createOutboundQueue(producer, lane, prefix)])) as Record<Lane, ReturnType<typeof createOutboundQueue>>;
    for (const q of Object.values(outboundQueues)) {
      q.on('error', (err) => log.debug({ err: err.message }, 'outbound queue (producer) error'));
      stops.push(() => q.close());
    }
    // One per process; a group Slack says changed is forgotten by all of them (a generation in Redis).
    const groupsAddress = { method: 'usergroups.users.list', teamId: DEFAULT_TEAM };
    const directory: SlackDirectory = new SlackDirectory(slackClients.current(), {
      generations: producer, prefix, log,
      // A click waits up to 10 s for a turn (it was acked already); outbound is made just below.
      pace: { turn: (): Promise<boolean> => outbound.acquire(groupsAddress, 10_000), limited: (s: number): Promise<void> => outbound.limited(groupsAddress, s) },
    });
    stops.push(async () => directory.close());
    const policies = new Policies(directory, workspaceScope);
    const delivery = new OutboundDelivery({
      clients: slackClients, store, clock, log, policies,
      // The reveal deadline shown in the DM is the one the token was sealed with.
      revealBy: async (r) => (await store.tokenReveals.findById(r.id))?.expiresAt ?? null,
      // Read when a Home tab is sent, long after the decisions service below exists.
      reviewHome: async (teamId: string, userId: string): Promise<ReturnType<typeof reviewHomeBlocks>> => reviewHomeBlocks(await accessReviewDecisions.homePages(teamId, userId, HOME_ITEMS)),
      // Asked with the outbound client, which throws a 429 for the outbound path to wait out
      // (the people cache is the same Redis entries as the listeners' one).
      subjects: {
        find: (ws, email) => outboundIdentities.lookUpSlackUser(ws, email),
        found: (r, ws, to) => tellFoundSubject({ store, notifier, clock, log }, r, ws, to),
      },
    });
    const outboundIdentities = new Identities({ people: new SlackPeople({ client: slackClients.current(), redis: producer, clock, log }), log, scope: workspaceScope });
    const outbound: Outbound = new Outbound({
      queues: outboundQueues, delivery, log, limits: opts.slackLanes, counters: metrics, pacer: new SlackPacer(producer, prefix),
      ...(opts.outboundWorker?.maximumRateLimitDelayMs !== undefined && { maxWaitMs: opts.outboundWorker.maximumRateLimitDelayMs }),
    });
    metrics.watchOutbound(() => outboundBacklog(outboundQueues), log);

    const permissions = new PermissionService(store, clock);
    // The Workflow Builder step is completed where a request's requester is told that it ended.
    let workflowSteps: WorkflowSteps | null = null;
    const notifier = withWorkflowSteps(new SlackNotifier(outbound), () => workflowSteps);
    // The LeanIX mirror's state lives in Redis beside the queues, read by every process.
    const syncState = new RedisSyncState(producer, prefix);
    const stopTelling = tellWhenUnauthorised(leanix, { store, notifier, log, clock, claims: syncState });
    stops.push(async () => stopTelling());
    const technicalUsers = new TechnicalUserService({
      store, clock, log, notifier, sealer: new JweTokenSealer(config.KEYWARDEN_SECRET), revealTtlHours: config.TOKEN_REVEAL_TTL_HOURS,
    });
    const grantQueue: Queue = createGrantQueue(producer, prefix);
    grantQueue.on('error', (err) => log.debug({ err: err.message }, 'grant queue (producer) error'));
    stops.push(() => grantQueue.close());
    // Where approved changes (and grants' ends) are made: LeanIX first for connected workspaces.
    const changeTargets = new LeanixTargets(leanix, { store, clock, ...opts.leanixApply });
    const grants = new GrantService({ store, clock, log, notifier, timer: new BullGrantTimer(grantQueue, clock), observer: metrics, targets: changeTargets });
    // The reviews open delete requests through the request service, whose technical-user handler
    // gives each new technical user its owner through the reviews: the closure breaks the circle.
    const owners: Pick<OwnershipReviewService, 'adopt' | 'transfer'> = {
      adopt: (tu, owner) => reviews.adopt(tu, owner),
      transfer: (tu, owner, requestId, mayChange) => reviews.transfer(tu, owner, requestId, mayChange),
    };
    // Who is who: cached in Redis, so a user_change heard by the web process reaches the workers.
    // Its own client: a 429 on users.info is waited out briefly (a click's answer can wait a
    // second), where the outbound path's client fails at once and queues the message instead.
    const peopleClient = createSlackClient({ token: botToken, apiUrl: config.SLACK_API_URL, log, bounds: { ...opts.slackClientBounds, rateLimitRetries: 2, maxRetryAfterSeconds: 5 } });
    const people = new SlackPeople({ client: new SlackClients(peopleClient, installs ? installs.tokens : null).current(), redis: producer, clock, log });
    const identities = new Identities({ people, log, scope: workspaceScope });
    const breakGlass = new BreakGlassService({ store, clock, log, notifier, grants, policies, identities });
    const escalations = new Escalations({ store, clock, log, notifier });
    const applyQueuePort = new BullApplyQueue(applyQueue);
    const requests = new RequestService({
      store, clock, log, notifier, queue: applyQueuePort, policies, identities,
      sources: { authority: (r, ws) => reviewAuthority({ store, policies }, r, ws) },
      handlers: {
        permission: new PermissionRequests(permissions, changeTargets),
        techuser: new TechnicalUserRequests({
          store, users: technicalUsers, clock, owners, changes: new TechnicalUserChanges({ store, users: technicalUsers, clock, owners, targets: changeTargets }), targets: changeTargets,
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
    const drift = new Drift({ store, notifier, clock, log, state: syncState, observer: metrics });
    const mirror = { state: syncState, drift };
    const leanixChangelog = leanix.size === 0 ? undefined : async (workspaceId: string, technicalUserId: string) => {
      const conn = leanix.get(workspaceId);
      if (!conn) return null;
      return (await conn.client.changelog(technicalUserId, 20)).map((e) => ({
        type: e.type, at: e.createdAt == null || Number.isNaN(new Date(e.createdAt).getTime()) ? null : new Date(e.createdAt), actor: e.actor?.userName ?? e.actor?.email ?? null,
      }));
    };
    const webhooks = new WebhookDelivery({
      store, log: eventLog, post: httpPoster(opts.webhooks?.timeoutMs), secret: (name) => webhookSecrets.get(name), notifier, clock, logger: log,
      failed: (reason) => metrics.webhookFailed(reason),
    });
    if (hooked.size > 0) metrics.watchWebhooks(() => webhooks.backlogs(), log);
    // With Redis away at start, a new hook starts at its first delivery instead: logged, not fatal.
    if (hooked.size > 0) await webhooks.startHooks().catch((err: unknown) => log.warn({ err }, 'could not give new webhooks their starting place; they start at their first delivery'));
    // The person's email is read while answering the step's event, with the token Bolt authorised for it.
    const stepSlack = stepClient(slackClients.current());
    workflowSteps = new WorkflowSteps({ store, requests, completer: new SlackStepCompleter(outbound), emails: new SlackUserEmails(stepSlack), clock, log });
    const apiRequests = new ApiRequestService({ store, requests, technicalUsers, clock, log });
    const peopleSearch = new PeopleSearch({ load: (id) => permissions.list(id), clock, log }, opts.peopleSearch);
    const services = { peopleSearch, mirror, store, permissions, requests, technicalUsers, grants, log, clock, accessTokens, permissionApi, grantApi, outbound, audit, reviews, directory, breakGlass, apiRequests, workflowSteps, leanix, leanixChangelog, people, accessReviews, accessReviewClosing, accessReviewDecisions, accessReviewEvidence, installable: installs };

    let url: string | null = null;
    // GET /metrics, and Bull Board at /admin/queues when BULL_BOARD_USERNAME/PASSWORD are set.
    const ops = await operationsRoutes({ config, metrics, connection: producer, prefix, log });
    stops.push(() => ops.close());
    if (config.ROLE !== 'worker') url = await startWeb(config, prefix, services, producer, stops, ops.routes);
    else {
      // A worker serves no Slack or API, but its health checks and job metrics are worth a port.
      const server = await listenForOperations(config.PORT, [...healthRoutes({ store, redis: producer, leanix }), ...ops.routes], log, {
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
          store, delivery, outbound, queues: outboundQueues, ...opts.outboundWorker,
          undelivered: (r, message, why) => new RequestMessages({ store, notifier, clock, log }).noteUndelivered(r, message, why),
        },
        // Only where a workspace is connected: the sync reads each through its shared client.
        leanix: leanix.size > 0 ? {
          sync: new LeanixSync({ store, clock, log, state: syncState, drift, grants: grantsOutside(grants), observer: metrics }),
          targets: () => syncTargets(store, leanix), tickMs: opts.leanixSyncTickMs,
        } : undefined,
      });
      stops.push(() => workers.close());
      // Only where the seed names webhooks (it is read at start, with their secrets).
      if (hooked.size > 0) {
        const webhookConnection = redisConnection(config.REDIS_URL, 'worker');
        const hooks = startWebhookWorker({ delivery: webhooks, connection: webhookConnection, prefix, log, metrics, ...opts.webhooks });
        stops.push(async () => {
          await hooks.close();
          webhookConnection.disconnect();
        });
      }
    }
    log.info({ role: config.ROLE, store: store.kind, url }, 'keywarden started');
    return { url, store, requests, permissions, technicalUsers, expiry, grants, reviews, drift, leanix, accessReviews, accessReviewClosing, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

