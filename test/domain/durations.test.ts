import { describe, expect, it } from 'vitest';
import { durationWords, roughDuration } from '../../src/domain/durations.js';

describe('durations written out (issue 20: "for 1m" could be a minute or a month)', () => {
  it('writes an exact duration in the largest unit that divides it', () => {
    expect([1, 2, 59, 60, 90, 240, 1440, 1500, 2880, 10080, 20160].map(durationWords)).toEqual([
      '1 minute', '2 minutes', '59 minutes', '1 hour', '90 minutes', '4 hours', '1 day', '25 hours', '2 days', '1 week', '2 weeks',
    ]);
  });

  it('rounds time left in a unit that keeps the rounding small', () => {
    const min = 60_000;
    expect([0, 30_000, 89.4 * min, 119 * min, 120 * min, 30 * 60 * min, 47 * 60 * min, 48 * 60 * min, 3.4 * 1440 * min, -2 * 1440 * min].map(roughDuration)).toEqual([
      '1 minute', '1 minute', '89 minutes', '119 minutes', '2 hours', '30 hours', '47 hours', '2 days', '3 days', '2 days',
    ]);
  });
});
