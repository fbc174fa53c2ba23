/**
 * LOG_FORMAT=pretty: pino-pretty for a developer's terminal. It is only a destination: pino still
 * writes JSON, createLog's scrubber masks secrets in each line, and only then does pino-pretty
 * format it, so pretty logs are exactly as scrubbed (and as redacted) as JSON ones.
 */
import { build, isColorSupported } from 'pino-pretty';
import type { pino } from 'pino';

/** A pretty-printing destination writing to `to` (stdout by default), synchronously. */
export function prettyDestination(to: NodeJS.WritableStream | number = 1): pino.DestinationStream {
  return build({
    destination: to,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // Colours only on a terminal that supports them; never into a stream (a file, a test's capture).
    colorize: typeof to === 'number' ? isColorSupported : false,
  });
}

/** What createLog should write to for a LOG_FORMAT (undefined: its default, JSON on stdout). */
export const logDestination = (format: 'json' | 'pretty'): pino.DestinationStream | undefined =>
  format === 'pretty' ? prettyDestination() : undefined;
