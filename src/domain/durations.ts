/**
 * Durations as people read them: "1 minute", "4 hours", "2 days", "1 week". The one place they
 * are written out, for every message a person reads (approval messages, grant lines, the Home
 * tab, outcomes, refusals). `formatDuration` (grant.ts) writes the short form a command takes
 * (`4h`), which a reader cannot tell apart (`1m`: a minute or a month?) and is for machines.
 */

const MINUTE = 60_000;
const UNITS = [['week', 10080], ['day', 1440], ['hour', 60], ['minute', 1]] as const;

const words = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** Exactly `minutes`, in the largest unit that divides them: 90 -> "90 minutes", 240 -> "4 hours", 10080 -> "1 week". */
export function durationWords(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  for (const [unit, size] of UNITS) if (m >= size && m % size === 0) return words(m / size, unit);
  return words(m, 'minute');
}

/**
 * About `ms`, rounded, in a unit that keeps the rounding small: minutes under 2 hours, hours under
 * 2 days, then days ("89 minutes", "30 hours", "3 days"; at least "1 minute"). For time left or
 * past, where the exact minute does not matter but "1 hour" for 89 minutes would mislead.
 */
export function roughDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 2880 * MINUTE) return words(Math.round(abs / (1440 * MINUTE)), 'day');
  if (abs >= 120 * MINUTE) return words(Math.round(abs / (60 * MINUTE)), 'hour');
  return words(Math.max(1, Math.round(abs / MINUTE)), 'minute');
}
