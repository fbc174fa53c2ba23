/** Starting a Keywarden server process for the bench: seed file, environment, its own log. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverEnv } from './fixture.js';
import { startChild, type Child } from './harness.js';

export interface ServerSpec {
  name: string;
  dir: string;
  redisUrl: string;
  slackApiUrl: string;
  mongodbUri: string;
  /** MongoDB only: a throw-away database, dropped when the server stops. */
  mongoDb?: string;
  seed: unknown;
  queuePrefix: string;
  sweepEveryMs?: number;
  /** Pace Slack calls at Slack's limits (bench/server.ts). */
  slackLimits?: boolean;
  env?: Record<string, string>;
  execArgv?: string[];
}

export interface BenchServer { child: Child; url: string; store: 'memory' | 'mongodb' }

export async function startServer(s: ServerSpec): Promise<BenchServer> {
  const seedFile = join(s.dir, `${s.name}-seed.json`);
  writeFileSync(seedFile, JSON.stringify(s.seed));
  const child = await startChild(s.name, 'bench/server.ts', { logFile: join(s.dir, `${s.name}.log`), execArgv: s.execArgv });
  try {
    const env = { ...serverEnv({ redisUrl: s.redisUrl, slackApiUrl: s.slackApiUrl, mongodbUri: s.mongodbUri, seedFile }), ...s.env };
    const started = await child.call<{ url: string; store: 'memory' | 'mongodb' }>(
      'start', { env, queuePrefix: s.queuePrefix, mongoDb: s.mongoDb, sweepEveryMs: s.sweepEveryMs, slackLimits: s.slackLimits }, 180_000,
    );
    return { child, ...started };
  } catch (err) {
    await child.stop();
    throw err;
  }
}
