/**
 * What every part of the bench shares: child processes driven over IPC (a tiny RPC), their
 * cleanup however the run ends, peak RSS from /proc, and latency statistics.
 *
 *   parent:  const c = await startChild('server', 'bench/server.ts');  await c.call('start', {...});
 *   child:   serve({ start: async (args) => ..., stop: async () => ... });
 *
 * Every child exits when its IPC channel closes (the bench died), so nothing outlives a run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

type Handler = (args: any) => Promise<unknown> | unknown;
interface RpcRequest { id: number; cmd: string; args: unknown }
interface RpcReply { id: number; ok: boolean; result?: unknown; error?: string }

/** Child side: answers the parent's calls with `handlers`, and exits when the parent goes away. */
export function serve(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('bench children are started by bench/run.ts (they need an IPC channel)');
  // `stop` is the last call: the child exits once its answer is out.
  const reply = (r: RpcReply, last: boolean) => process.send!(r, undefined, {}, () => last && process.exit(0));
  process.on('message', (m: RpcRequest) => {
    const handler = handlers[m.cmd] ?? (m.cmd === 'stop' ? () => undefined : undefined);
    const last = m.cmd === 'stop';
    if (!handler) return reply({ id: m.id, ok: false, error: `unknown command ${m.cmd}` }, last);
    Promise.resolve()
      .then(() => handler(m.args))
      .then(
        (result) => reply({ id: m.id, ok: true, result }, last),
        (err: unknown) => reply({ id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, last),
      );
  });
  // The bench is gone (crashed, killed): so are we.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

export interface Child {
  name: string;
  pid: number;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Peak resident set size so far (VmHWM), in MB; null once the process is gone. */
  peakRssMb(): number | null;
  /** Asks the child to stop (its `stop` handler, then exit); kills it if it does not. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL): the last resort, safe to call from an exit handler. */
export function killAllChildren(): void {
  for (const p of live) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
  live.clear();
}

export interface ChildOptions {
  execArgv?: string[];
  /** Where the child's stdout and stderr go (its logs); default: discarded. */
  logFile?: string;
  readyTimeoutMs?: number;
}

/** Forks `file` (TypeScript, run through tsx) and waits until it serves. */
export async function startChild(name: string, file: string, opts: ChildOptions = {}): Promise<Child> {
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const proc = fork(join(ROOT, file), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
    stdio: ['ignore', fd, fd, 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (typeof fd === 'number') closeSync(fd);
  live.add(proc);
  let seq = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let exited: string | null = null;
  proc.on('exit', (code, signal) => {
    exited = `${name} exited (${signal ?? code})`;
    live.delete(proc);
    for (const p of pending.values()) p.reject(new Error(exited));
    pending.clear();
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${opts.readyTimeoutMs ?? 30_000} ms`)), opts.readyTimeoutMs ?? 30_000);
    proc.on('message', (m: { ready?: boolean } & Partial<RpcReply>) => {
      if (m.ready) {
        clearTimeout(timer);
        return resolve();
      }
      const p = pending.get(m.id!);
      if (!p) return;
      pending.delete(m.id!);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    proc.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(exited ?? `${name} exited`));
    });
  });
  await ready;
  const pid = proc.pid!;
  const child: Child = {
    name,
    pid,
    call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error(exited));
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}.${cmd} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v as T); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        proc.send({ id, cmd, args } satisfies RpcRequest);
      });
    },
    peakRssMb: () => peakRssMb(pid),
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      // A child that writes a CPU profile must exit by itself (not be killed) for it to be written.
      await child.call('stop', undefined, 15_000).catch(() => undefined);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
  return child;
}

/** VmHWM (peak RSS) of a live process, in MB, from /proc; null when it cannot be read. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Percentiles (nearest rank) of latencies in ms. */
export function summarize(latencies: number[]): LatencySummary {
  const s = Float64Array.from(latencies).sort();
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN);
  return { count: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN };
}

export const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `done` every `everyMs` until it is true; throws `what` after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs: number, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** CPU time (user + system) a live process has used so far, in ms, from /proc; null when unreadable. */
export function cpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}
