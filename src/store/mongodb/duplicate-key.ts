/**
 * Reading MongoDB's duplicate-key error (code 11000): which unique index refused the write.
 * The ports treat some of these as normal outcomes (a permission that already exists), others
 * as DuplicateKeyError, and anything that is not a duplicate key is rethrown untouched.
 */
import { MongoServerError } from 'mongodb';

export const DUPLICATE_KEY = 11000;

/** `_id_` is the name MongoDB gives every collection's primary index. */
export const ID_INDEX = '_id_';

/**
 * The name of the unique index a write collided on, or null when `err` is not a duplicate-key
 * error. Servers name the index in the message ("... index: name_unique dup key: { ... }"); the
 * structured `keyPattern` is used for `_id` when the message does not say.
 */
export function duplicateKeyIndex(err: unknown): string | null {
  if (!(err instanceof MongoServerError) || err.code !== DUPLICATE_KEY) return null;
  const named = / index: (\S+) dup key/.exec(err.message)?.[1];
  if (named) return named;
  const pattern: unknown = err['keyPattern'];
  if (pattern && typeof pattern === 'object' && Object.keys(pattern).join() === '_id') return ID_INDEX;
  return '';
}

export const isDuplicateKey = (err: unknown): boolean => duplicateKeyIndex(err) !== null;
