import { LogLevel } from '@slack/bolt';
import type { Logger } from '@slack/bolt';
import type { Log } from '../app/ports.js';

/** Bolt wants its own Logger shape; route it into our (redacting) logger. */
export function boltLogger(log: Log): Logger {
  const child = log.child({ component: 'bolt' });
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...a: unknown[]) => child.debug({}, line(a)),
    info: (...a: unknown[]) => child.info({}, line(a)),
    warn: (...a: unknown[]) => child.warn({}, line(a)),
    error: (...a: unknown[]) => child.error({}, line(a)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
