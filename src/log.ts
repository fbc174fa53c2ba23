/**
 * One structured logger (pino), injected everywhere. Secrets are removed here, at the logger, so
 * no caller can forget: known secret fields are redacted by path, and every finished log line
 * passes through a scrubber that masks anything shaped like an API token, a Slack token or a JWT,
 * wherever it sits (message, nested field, error stack, child binding).
 */
import { pino } from 'pino';
import type { Log } from './app/ports.js';

const SECRET_PATTERNS = [/lxt_[A-Za-z0-9_-]{8,}/g, /xox[abpre]-[A-Za-z0-9-]+/g, /xapp-[A-Za-z0-9-]+/g, /eyJ[\w-]+\.[\w-]+\.[\w-]+/g];

/** Masks secrets in a string, keeping a short prefix so a reader knows what was there. */
export function scrub(s: string): string {
  let out = s;
  for (const re of SECRET_PATTERNS) out = out.replace(re, (m) => `${m.slice(0, 4)}[REDACTED]`);
  return out;
}

const SECRET_FIELDS = ['token', 'plaintext', 'apiToken', 'password', 'authorization', 'access_token', 'secret', 'sealed', 'privateKey'];

// pino's redaction matches exact paths; these reach three levels down (e.g. job.data.token).
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]);

/** Wraps a destination so every line is scrubbed before it is written. */
function scrubbing(dest: pino.DestinationStream): pino.DestinationStream {
  return { write: (line: string) => dest.write(scrub(line)) };
}

export function createLog(level: string, destination: pino.DestinationStream = pino.destination(1)): Log {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      // Errors under these keys keep their type, message, stack and code (not "{}").
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err, cause: pino.stdSerializers.err },
    },
    scrubbing(destination),
  );
}
