/**
 * A change that cannot be made yet for a reason that passes (a connected LeanIX that does not
 * answer): the queue runs the job again after `delayMs` without counting it as a failed attempt,
 * until the target answers or the request's own deadline turns it into a DomainError.
 */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  constructor(message: string, readonly delayMs: number) {
    super(message);
  }
}

export const isRetryLater = (e: unknown): e is RetryLaterError => e instanceof RetryLaterError;
