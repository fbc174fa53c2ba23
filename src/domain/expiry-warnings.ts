/**
 * When a token's notification channels hear about its expiry. A workspace policy lists
 * thresholds in days before expiry (default 30, 7, 1 and 0 = at expiry). Each token gets one
 * warning per threshold it reaches; a token first seen inside several thresholds gets one, for
 * the nearest. The token carries the moment its next warning is due, so a scan only reads the
 * tokens that are due (through an index), never all of them.
 */
import { roughDuration } from './durations.js';
const DAY = 86_400_000;

/** Thresholds as a sorted, de-duplicated list, largest first. */
export function normalizeThresholds(days: number[]): number[] {
  return [...new Set(days.filter((d) => Number.isInteger(d) && d >= 0))].sort((a, b) => b - a);
}

/** When the first warning for a token expiring at `expiresAt` is due (null: the policy has none). */
export function firstWarningAt(expiresAt: Date, thresholds: number[]): Date | null {
  const t = normalizeThresholds(thresholds);
  return t.length ? new Date(expiresAt.getTime() - t[0]! * DAY) : null;
}

export interface WarningStep {
  /** The threshold being announced (days before expiry; 0 = expired). */
  days: number;
  /** When the next warning is due, or null when this was the last one. */
  nextAt: Date | null;
}

/**
 * The warning due now for a token, if any: the nearest threshold already reached, and when the
 * one after it falls due. Null when no threshold has been reached yet.
 */
export function dueWarning(expiresAt: Date, thresholds: number[], now: Date): WarningStep | null {
  const t = normalizeThresholds(thresholds);
  const left = expiresAt.getTime() - now.getTime();
  const reached = t.filter((d) => left <= d * DAY);
  if (reached.length === 0) return null;
  const days = reached[reached.length - 1]!;
  const next = t.find((d) => d < days);
  return { days, nextAt: next === undefined ? null : new Date(expiresAt.getTime() - next * DAY) };
}

/** "in 7 days", "in 1 day", "in 5 hours", "expired 2 days ago": for people, not machines. */
export function timeLeft(expiresAt: Date, now: Date): string {
  const ms = expiresAt.getTime() - now.getTime();
  // Rounded: a warning sent a minute after the 30-day mark still says "in 30 days".
  const span = roughDuration(ms);
  return ms > 0 ? `in ${span}` : `expired ${span} ago`;
}
