/**
 * Entry point: read config (fail fast with one line), start, stop cleanly on SIGTERM/SIGINT.
 */
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { startKeywarden } from './keywarden.js';
import { createLog } from './log.js';
import { logDestination } from './log-pretty.js';

if (existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const log = createLog(config.LOG_LEVEL, logDestination(config.LOG_FORMAT));
try {
  const kw = await startKeywarden(config, { log });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await kw.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (err) {
  log.error({ err }, 'keywarden could not start');
  console.error(`keywarden could not start: ${(err as Error).message}`);
  process.exit(1);
}
