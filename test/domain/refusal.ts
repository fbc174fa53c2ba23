import { DomainError } from '../../src/domain/errors.js';

/** The code of the DomainError `fn` throws, or undefined when it returns. Other errors fail the test. */
export function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return undefined;
}
