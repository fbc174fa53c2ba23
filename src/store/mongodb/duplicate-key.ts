/**
 * Reading MongoDB's duplicate-key error (code 11000): which unique index refused the write. The
 * server says so in structured fields, `keyPattern` (the index's key, e.g. `{ workspaceId: 1,
 * userName: 1 }`) and `keyValue`, which are matched against the index definitions in indexes.ts;
 * the message text is never parsed (its wording changed across server versions, and it quotes
 * the duplicated values). A server that leaves the fields out (very old ones, some look-alikes)
 * gives '' (a duplicate on an unknown index): the adapters then re-read by the natural key, as
 * they do after every duplicate, so the answer does not depend on which index spoke first.
 */
import { MongoServerError } from 'mongodb';
import type { CollectionName } from './documents.js';
import { INDEXES } from './indexes.js';

const DUPLICATE_KEY = 11000;

/** `_id_` is the name MongoDB gives every collection's primary index. */
export const ID_INDEX = '_id_';

/** The key's field names in order: what identifies an index's key, whatever its directions. */
const fieldsOf = (key: unknown): string | null =>
  key && typeof key === 'object' && !Array.isArray(key) ? Object.keys(key).join('\u0000') : null;

/**
 * The name of the unique index a write on `collection` collided on: `_id_`, one of INDEXES'
 * names, or '' when the server did not say which; null when `err` is not a duplicate-key error.
 */
export function duplicateKeyIndex(err: unknown, collection: CollectionName): string | null {
  if (!(err instanceof MongoServerError) || err.code !== DUPLICATE_KEY) return null;
  const fields = fieldsOf(err['keyPattern']);
  if (fields === null) return '';
  if (fields === '_id') return ID_INDEX;
  const spec = INDEXES[collection].find((s) => s.unique && fieldsOf(s.key) === fields);
  return spec?.name ?? '';
}
