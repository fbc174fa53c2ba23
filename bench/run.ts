/**
 * `npm run bench` (or `npm run bench -- --quick`, within 90 s, a minute more with the grants):
 * how fast Keywarden acks, applies, exchanges and scans, each next to a bare baseline measured in
 * the same run, and how late it ends time-bound grants (against their ends, and a floor: the
 * due-grant read at 10k active grants). Everything runs on
 * loopback against a private redis-server and a local fake Slack; the store is the one MONGODB_URI
 * names (memory when unset; with MongoDB, throw-away databases that are dropped afterwards).
 * Progress goes to stderr; stdout gets the table and, as its last line, the JSON result, which is
 * also written to bench/results/latest.json (a --quick run: bench/results/quick.json, results-file.ts). The part `burst` (Slack at its rate limits: several
 * minutes by nature) and `burst-channels` (the same over 10 channels in 2 Slack workspaces) run in
 * full runs and with --only=burst / --only=burst-channels, not in --quick. `--profile` writes CPU profiles of the server
 * processes to bench/results/; BENCH_KEEP_LOGS=1 keeps the processes' logs after a good run too.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { FakeSlack } from '../test/helpers/fake-slack.js';
import { startRedis, type TestRedis } from '../test/helpers/redis.js';
import { benchSeed } from './fixture.js';
import { killAllChildren, ROOT, round } from './harness.js';
import { report, type Figures } from './report.js';
import { resultsFile, resultsLine } from './results-file.js';
import { runAck } from './scenarios/ack.js';
import { runApply } from './scenarios/apply.js';
import { runBurst } from './scenarios/burst.js';
import { runBurstChannels } from './scenarios/burst-channels.js';
import type { BenchContext } from './scenarios/context.js';
import { runExchange } from './scenarios/exchange.js';
import { runGrants } from './scenarios/grants.js';
import { runScan } from './scenarios/scan.js';
import { runLeanix } from './scenarios/leanix.js';
import { runLeanixApply } from './scenarios/leanix-apply.js';
import { REVIEWERS, runReviews } from './scenarios/reviews.js';
import { startServer, type BenchServer } from './servers.js';

const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');
/** `--only=ack,apply`: run some parts only (for profiling one at a time); the others report n/a. */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (part: 'ack' | 'apply' | 'exchange' | 'scan' | 'burst' | 'burst-channels' | 'grants' | 'leanix' | 'reviews') =>
  (only ? only.includes(part) : (part !== 'burst' && part !== 'burst-channels' && part !== 'reviews') || !quick);
const REVIEW_ITEMS = 5000;
const BURST_REQUESTS = 100;
/** The main server serves ack, apply and exchange; scan, burst and grants have processes of their own. */
const needServer = wanted('ack') || wanted('apply') || wanted('exchange');
const mongodbUri = process.env.MONGODB_URI?.trim() || 'memory';
const storeKind = mongodbUri === 'memory' ? 'memory' : 'mongodb';
const ACK_USERS = 20;

const sizes: BenchContext['sizes'] = quick
  ? { ackRate: 200, ackDurationMs: 3_000, ackWarmupMs: 500, ackSlices: 3, applyCount: 2_000, exchangeDurationMs: 3_000, exchangeWarmupMs: 500,
      exchangeConcurrency: 32, exchangeUsers: 300, exchangeSlices: 3, scanSizes: [10_000, 100_000, 1_000_000],
      grants: { n: 2_000, windowMs: 10_000, leadMs: 10_000, dueSizes: [10_000, 100_000, 1_000_000] } }
  : { ackRate: 200, ackDurationMs: 10_000, ackWarmupMs: 1_000, ackSlices: 5, applyCount: 5_000, exchangeDurationMs: 10_000, exchangeWarmupMs: 1_000,
      exchangeConcurrency: 32, exchangeUsers: 300, exchangeSlices: 5, scanSizes: [10_000, 100_000, 1_000_000],
      // 10,000 grants ending in the same minute (spread over it); the lead leaves time to schedule them.
      grants: { n: 10_000, windowMs: 60_000, leadMs: 30_000, dueSizes: [10_000, 100_000, 1_000_000] } };

const progress = (msg: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'keywarden-bench-'));
const runId = randomUUID().slice(0, 8);
const mongoDbs: string[] = [];

let redis: TestRedis | null = null;
let slack: FakeSlack | null = null;
let server: BenchServer | null = null;

/** Stops what is still running; each step on its own, so one failure does not leave the rest. */
async function cleanup(): Promise<void> {
  await server?.child.stop().catch(() => undefined);
  killAllChildren();
  await slack?.stop().catch(() => undefined);
  await redis?.stop().catch(() => undefined);
  if (mongoDbs.length) {
    // The servers drop their databases when they stop; this is for a server that crashed.
    const { MongoClient } = await import('mongodb');
    const client = await new MongoClient(mongodbUri, { serverSelectionTimeoutMS: 3000 }).connect().catch(() => null);
    for (const db of mongoDbs) await client?.db(db).dropDatabase().catch(() => undefined);
    await client?.close();
  }
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}
const limitMs = quick && !wanted('burst') ? 88_000 + (wanted('grants') ? 60_000 : 0) : 15 * 60_000;
const watchdog = setTimeout(() => {
  progress(`gave up: the bench took longer than ${limitMs / 1000} s (logs in ${dir})`);
  void cleanup().finally(() => process.exit(1));
}, limitMs);

async function main(): Promise<Figures> {
  [redis, slack] = await Promise.all([startRedis(), FakeSlack.start()]);
  const queuePrefix = `bench-${runId}`;
  // One directory per process: tsx's loader thread writes a profile of its own next to the main thread's.
  const profiling = (name: string) => (profile ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results', `profile-${runId}-${name}`)}`] : []);
  const mongoDb = (name: string) => {
    if (storeKind === 'memory') return undefined;
    mongoDbs.push(`keywarden_bench_${runId}_${name}`);
    return mongoDbs[mongoDbs.length - 1];
  };
  const common = { dir, redisUrl: redis.url, slackApiUrl: slack.apiUrl, mongodbUri };
  progress(`store ${storeKind}; starting ${[needServer && `the server (${sizes.applyCount} users seeded)`, wanted('scan') && "the scan's server"].filter(Boolean).join(' and ') || 'no server yet'}`);
  // The scan's server starts alongside (it idles until its turn), so the two starts overlap.
  let scanServer: Promise<BenchServer> | null = null;
  if (wanted('scan')) {
    scanServer = startServer({
      ...common, name: 'scan-server', seed: benchSeed({ ackUsers: 0, applyUsers: 0 }), queuePrefix: `${queuePrefix}-scan`,
      mongoDb: mongoDb('scan'), sweepEveryMs: 3600_000, env: { EXPIRY_SCAN_INTERVAL_SECONDS: '604800' },
      // A million records in the in-memory store need more than the default heap; gc() settles it between rounds.
      execArgv: ['--expose-gc', '--max-old-space-size=8192', ...profiling('scan-server')],
    });
    scanServer.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  }
  let ack: Figures['ack'] = skippedAck;
  let apply: Figures['apply'] = skippedApply;
  let exchange: Figures['exchange'] = skippedExchange;
  let rssMb = NaN;
  if (needServer) {
    server = await startServer({
      ...common, name: 'server', seed: benchSeed({ ackUsers: ACK_USERS, applyUsers: sizes.applyCount }), queuePrefix,
      mongoDb: mongoDb('server'), execArgv: profiling('server'),
    });
    // Started alongside, but idle before the first measurement starts.
    if (scanServer) await scanServer;
    const ctx: BenchContext = {
      quick, redisUrl: redis.url, slack, server: server.child, serverUrl: server.url, queuePrefix, sizes,
      logFile: (name) => join(dir, `${name}.log`),
    };

    progress(`ack: ${sizes.ackRate}/s for ${sizes.ackDurationMs / 1000} s each, in ${sizes.ackSlices} slices alternating ours and bare Bolt`);
    if (wanted('ack')) ack = await runAck(ctx, ACK_USERS);
    progress(`apply: ${sizes.applyCount} approved requests; a no-op worker, ours, the no-op worker again`);
    if (wanted('apply')) apply = await runApply(ctx);
    progress(`exchange: concurrency ${sizes.exchangeConcurrency} for ${sizes.exchangeDurationMs / 1000} s each, in ${sizes.exchangeSlices} slices alternating ours and bare jose`);
    if (wanted('exchange')) exchange = await runExchange(ctx);
    rssMb = server.child.peakRssMb() ?? (await server.child.call<{ maxRssMb: number }>('rss')).maxRssMb;
    await server.child.stop();
    server = null;
  }

  progress(`scan: ${sizes.scanSizes.join(', ')} technical users`);
  const scan = scanServer ? await runScan(sizes.scanSizes, await scanServer) : skippedScan;

  let grants: Figures['grants'] = skippedGrants;
  if (wanted('grants')) {
    const g = sizes.grants;
    progress(`grants: ${g.n} grants ending within ${g.windowMs / 1000} s, one worker; then the due-grant read at ${g.dueSizes.join(', ')} active grants`);
    // After the scan's server has stopped: a million grants more in memory, not beside its million tokens.
    const grantsServer = await startServer({
      ...common, name: 'grants-server', seed: benchSeed({ ackUsers: 0, applyUsers: 0 }), queuePrefix: `${queuePrefix}-grants`,
      mongoDb: mongoDb('grants'), env: { EXPIRY_SCAN_INTERVAL_SECONDS: '604800' },
      execArgv: ['--expose-gc', '--max-old-space-size=8192', ...profiling('grants-server')],
    });
    grants = await runGrants(g, grantsServer, slack);
  }
  let burst = null;
  if (wanted('burst')) {
    progress(`burst: ${BURST_REQUESTS} requests at once into one approvals channel, then ${BURST_REQUESTS} approvals, against a fake Slack at Slack's rate limits (minutes)`);
    burst = await runBurst({ n: BURST_REQUESTS, dir, redisUrl: redis.url, mongodbUri, queuePrefix: `${queuePrefix}-burst`, logFile: (name) => join(dir, `${name}.log`), mongoDb: mongoDb('burst') });
  }
  let leanix = null;
  if (wanted('leanix')) {
    const l = { permissions: 10_000, technicalUsers: 1_000, rounds: quick ? 3 : 5, latencyMs: 20 };
    progress(`leanix: a full sync of ${l.permissions} permissions and ${l.technicalUsers} technical users through the fake LeanIX at ${l.latencyMs} ms a call, ${l.rounds + 1} times, alternating with a bare paged read`);
    const a = { n: quick ? 200 : 500, latencyMs: 20, concurrency: 8 };
    progress(`leanix: ${a.n} approved role changes applied through the fake LeanIX at ${a.latencyMs} ms a call, ${a.concurrency} at once, between two bare loops of the same calls`);
    const apply = await runLeanixApply(a);
    leanix = { ...(await runLeanix({ redisUrl: redis.url, ...l })), apply };
  }
  let burstChannels = null;
  if (wanted('burst-channels')) {
    progress('burst-channels: 10 approvals channels (10 workspaces, 2 Slack workspaces) x 10 requests at once, then all approved, against a fake Slack counting limits per channel and per Slack workspace (minutes)');
    burstChannels = await runBurstChannels({
      channels: 10, perChannel: 10, dir, redisUrl: redis.url, mongodbUri, queuePrefix: `${queuePrefix}-burst-channels`,
      logFile: (name) => join(dir, `${name}.log`), mongoDb: mongoDb('burst-channels'),
    });
  }
  let reviews = null;
  if (wanted('reviews')) {
    progress(`reviews: an access review of ${REVIEW_ITEMS} items with ${REVIEWERS} reviewers, against a fake Slack at Slack's rate limits`);
    reviews = await runReviews({ items: REVIEW_ITEMS, dir, redisUrl: redis.url, mongodbUri, queuePrefix: `${queuePrefix}-reviews`, mongoDb: mongoDb('reviews') });
  }
  return { store: storeKind, quick, ack, apply, exchange, scan, grants, rssMb, burst, burstChannels, leanix, reviews };
}

const none = { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
const skippedAckSide = { latency: none, failures: {}, sendLagP99: NaN, cpuMsPerCommand: NaN };
const skippedAck = { ours: skippedAckSide, bare: skippedAckSide, answered: 0, sent: 0, slices: 0, slackCalls: {} };
const skippedApply = { n: 0, oursMs: NaN, bareMs: NaN, bareRunsMs: [], statuses: {}, updates: 0, oursCpuMs: NaN, bareCpuMs: NaN, slackCpuMs: NaN };
const skippedExchangeSide = { perSecond: NaN, latency: none, failures: {}, cpuMs: NaN };
const skippedExchange = { ours: skippedExchangeSide, bare: skippedExchangeSide, slices: 0 };
const skippedScan = { ms: {}, runs: {}, insertMs: {}, rssMb: null };
const skippedGrantBatch = { n: 0, windowMs: 0, reverted: 0, dms: 0, threadLines: 0, revertLateness: none, dmLateness: none, scheduleMs: NaN, perSecond: NaN };
const skippedGrants = { spread: skippedGrantBatch, pileUp: skippedGrantBatch, dueReadMs: {}, dueReadP90Ms: {}, insertMs: {} };

let code = 1;
try {
  const figures = await main();
  const machine = {
    cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version,
  };
  const { table, json } = report(figures, machine, (performance.now() - started) / 1000);
  // Only a full run replaces the committed result (results-file.ts); a quick one has its own file.
  const file = resultsFile({ quick, only });
  if (file) {
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, file), `${JSON.stringify(json)}\n`);
  }
  progress(resultsLine(file));
  process.stdout.write(`${table}\n${resultsLine(file)}\n${JSON.stringify(json)}\n`);
  code = 0;
} catch (err) {
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  progress(`logs kept in ${dir}`);
} finally {
  clearTimeout(watchdog);
  await cleanup();
  if (code === 0 && !process.env.BENCH_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  else progress(`logs in ${dir}`);
}
process.exit(code);
