/**
 * One structured logger (pino), injected everywhere. Secrets are removed here, at the logger,
 * so no caller can forget: known secret fields are redacted by path, and anything that looks
 * like an API token or a Slack token is masked wherever it appears in a logged string.
 */
import { pino } from 'pino';
import type { Log } from './app/ports.js';

const SECRET_PATTERNS = [/lxt_[A-Za-z0-9_-]{8,}/g, /xox[abpre]-[A-Za-z0-9-]+/g, /xapp-[A-Za-z0-9-]+/g, /eyJ[\w-]+\.[\w-]+\.[\w-]+/g];

export function scrub(s: string): string {
  let out = s;
  for (const re of SECRET_PATTERNS) out = out.replace(re, (m) => `${m.slice(0, 4)}[REDACTED]`);
  return out;
}

function scrubDeep(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return scrub(v);
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error) return { type: v.name, message: scrub(v.message), stack: v.stack && scrub(v.stack) };
  if (Array.isArray(v)) return v.map((x) => scrubDeep(x, depth + 1));
  if (v instanceof Date) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubDeep(x, depth + 1)]));
}

export const REDACT_PATHS = [
  'token', '*.token', 'plaintext', '*.plaintext', 'apiToken', '*.apiToken', 'password', '*.password',
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'access_token',
  '*.access_token', 'secret', '*.secret', 'sealed', '*.sealed',
];

export function createLog(level: string, destination?: pino.DestinationStream): Log {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { log: (obj) => scrubDeep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // Scrub the message string too (the object is handled by formatters.log).
          const a = args.map((x) => (typeof x === 'string' ? scrub(x) : x)) as typeof args;
          return method.apply(this, a);
        },
      },
    },
    destination,
  );
}
