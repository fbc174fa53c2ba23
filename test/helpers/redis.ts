/**
 * A private, throw-away redis-server per test file.
 *
 *   const redis = await startRedis();          // in beforeAll
 *   ... new Redis(redis.url) / BullMQ { connection: { url } } ...
 *   await redis.stop();                        // in afterAll
 *
 * Built on `redis-memory-server`, which spawns the system binary on a free port
 * chosen by `get-port`, with persistence off (`--save '' --appendonly no`) and
 * bound to 127.0.0.1. It also spawns a tiny "killer" process that shuts the
 * server down if the test worker dies without calling stop().
 *
 * Never use the shared Redis on 127.0.0.1:6379: tests must not see each
 * other's (or a developer's) keys.
 */
import { access } from 'node:fs/promises';
import { RedisMemoryServer } from 'redis-memory-server';

export interface TestRedis {
  /** e.g. `redis://127.0.0.1:41234` */
  url: string;
  /** Kills the server (SIGINT). Safe to call more than once. */
  stop(): Promise<void>;
}

/** The shared developer/CI Redis that tests must never touch. */
const SHARED_PORT = 6379;

export async function startRedis(): Promise<TestRedis> {
  // Be explicit about the binary. If redis-memory-server cannot find the
  // configured system binary it does NOT fail: it silently falls back to
  // downloading the Redis source from download.redis.io and compiling it.
  // Fail fast with a clear message instead.
  const systemBinary = process.env.REDISMS_SYSTEM_BINARY || '/usr/bin/redis-server';
  try {
    await access(systemBinary);
  } catch {
    throw new Error(`startRedis: redis-server binary not found at ${systemBinary} (set REDISMS_SYSTEM_BINARY)`);
  }

  // get-port picks a free port, but another process may grab it before
  // redis-server binds it ("Port N already in use"). The library only retries
  // one specific failure mode itself, so retry a few times with a fresh server.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const server = new RedisMemoryServer({ binary: { systemBinary } });
    try {
      // start() resolves once redis-server prints "Ready to accept connections".
      await server.start();
      const host = await server.getHost();
      const port = await server.getPort();
      if (port === SHARED_PORT) {
        await server.stop();
        throw new Error(`startRedis: refusing to use the shared port ${SHARED_PORT}`);
      }
      let stopped: Promise<void> | undefined;
      return {
        url: `redis://${host}:${port}`,
        stop: () => (stopped ??= server.stop().then(() => undefined)),
      };
    } catch (err) {
      lastError = err;
      await server.stop().catch(() => undefined);
    }
  }
  // The library sometimes rejects with a bare string rather than an Error.
  throw lastError instanceof Error ? lastError : new Error(`startRedis: redis-server failed to start: ${String(lastError)}`);
}
