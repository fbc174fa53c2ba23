/** What every part runs on: time, the queue, the logger. */

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Ends each time-bound grant when it is due (a delayed job); idempotent per grant and end. */
export interface GrantTimer {
  /**
   * Ends the grant at `until`; scheduling the same end twice yields one timer. `again`: a timer
   * for this very end fired early (another host's clock ahead of ours) and is still running, so
   * it is set once more, as a timer of its own.
   */
  schedule(g: { grantId: string; subject: { type: 'permission' | 'technicalUser'; id: string }; until: Date }, o?: { again?: boolean }): Promise<void>;
}

/** Hands an approved request to the workers. Must be idempotent per request id. */
export interface ApplyQueue {
  /**
   * `retryFailed`: the outbox sweep found the request still APPROVED, so a job of its id that
   * failed for good (its attempts used up while the store was away) is run again, same id.
   */
  enqueue(requestId: string, o?: { retryFailed?: boolean }): Promise<void>;
}

/** The structured logger every part receives (pino's shape). */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Log;
}
