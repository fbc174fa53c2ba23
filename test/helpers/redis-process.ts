/**
 * A private redis-server that a test can kill and start again on the same port, to play a Redis
 * outage: `stop()` kills it (SIGKILL, as a crash would; it keeps nothing, like a Redis without
 * persistence), `start()` brings up an empty one where it was. Never on 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisProcess {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Kills the server at once (SIGKILL). */
  stop(): Promise<void>;
}

const BINARY = process.env.REDISMS_SYSTEM_BINARY || '/usr/bin/redis-server';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRedisProcess(): Promise<RedisProcess> {
  const port = await freePort();
  if (port === 6379) throw new Error('refusing the shared Redis port');
  let child: ChildProcess | null = null;
  const killAtExit = () => child?.kill('SIGKILL');
  process.once('exit', killAtExit);
  const rp: RedisProcess = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (child) return;
      const c = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${out}`)), 10_000);
        c.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        });
        c.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`redis-server exited (${code}): ${out}`));
        });
      });
      c.stdout!.resume();
      c.removeAllListeners('exit');
    },
    async stop() {
      const c = child;
      if (!c) return;
      child = null;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
  await rp.start();
  return rp;
}
