/** What every part runs on: time, the queue, the logger. */

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Ends each time-bound grant when it is due (a delayed job); idempotent per grant and end. */
export interface GrantTimer {
  schedule(g: { grantId: string; subject: { type: 'permission' | 'technicalUser'; id: string }; until: Date }): Promise<void>;
}

/** Hands an approved request to the workers. Must be idempotent per request id. */
export interface ApplyQueue {
  enqueue(requestId: string): Promise<void>;
}

/** The structured logger every part receives (pino's shape). */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Log;
}
