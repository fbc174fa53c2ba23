import { describe, expect, it } from 'vitest';
import { dueWarning, firstWarningAt, normalizeThresholds, timeLeft } from '../../src/domain/expiry-warnings.js';

const DAY = 86_400_000;
const expires = new Date('2027-06-30T00:00:00Z');
const before = (days: number, extraMs = 0) => new Date(expires.getTime() - days * DAY + extraMs);
const policy = [30, 7, 1, 0];

describe('expiry warnings', () => {
  it('normalizes thresholds: unique, whole, non-negative, largest first', () => {
    expect(normalizeThresholds([1, 30, 7, 7, -1, 2.5, 0])).toEqual([30, 7, 1, 0]);
  });

  it('schedules the first warning at the largest threshold', () => {
    expect(firstWarningAt(expires, policy)).toEqual(before(30));
    expect(firstWarningAt(expires, [])).toBeNull();
  });

  it('is not due before the first threshold', () => {
    expect(dueWarning(expires, policy, before(30, -1))).toBeNull();
  });

  it('walks the thresholds one at a time', () => {
    expect(dueWarning(expires, policy, before(30))).toEqual({ days: 30, nextAt: before(7) });
    expect(dueWarning(expires, policy, before(7))).toEqual({ days: 7, nextAt: before(1) });
    expect(dueWarning(expires, policy, before(1))).toEqual({ days: 1, nextAt: before(0) });
    expect(dueWarning(expires, policy, before(0))).toEqual({ days: 0, nextAt: null });
  });

  it('announces only the nearest threshold when several were passed unseen', () => {
    expect(dueWarning(expires, policy, before(3))).toEqual({ days: 7, nextAt: before(1) });
    expect(dueWarning(expires, policy, before(0, 5 * DAY))).toEqual({ days: 0, nextAt: null });
  });

  it('says how much time is left in words', () => {
    expect(timeLeft(expires, before(7))).toBe('in 7 days');
    expect(timeLeft(expires, before(1))).toBe('in 24 hours');
    expect(timeLeft(expires, before(0, -5 * 3600_000))).toBe('in 5 hours');
    expect(timeLeft(expires, before(0, 2 * DAY))).toBe('expired 2 days ago');
  });
});
