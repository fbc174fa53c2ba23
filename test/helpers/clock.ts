import type { Clock } from '../../src/app/ports.js';

/** A clock that follows real time plus an offset the test moves forward. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
