import type { Collection, Filter } from 'mongodb';
import type { CollectionName, Doc } from './documents.js';
import { toDoc } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';

/**
 * Insert-if-absent on a unique key other than `_id` (e.g. (workspaceId, userId)): an upsert with
 * $setOnInsert rather than a bare insertOne, so inserting a record that is already there is a
 * match, not an error, and the port's answer for it is "already there" (false).
 *
 * Two inserts of one record that race (a re-run job, seeds with fixed ids) both miss the filter
 * and both insert; the loser's duplicate may be reported on `_id_` rather than on the key, since
 * the server checks the unique indexes in no promised order. So after any duplicate the key is
 * read back: taken means false, whatever index spoke; free means the write collided on something
 * else (an id or a token hash another record holds), which `conflict` turns into the port's
 * error (or null to rethrow the driver's).
 */
export async function insertIfAbsent<T extends { id: string }>(
  col: Collection<Doc<T>>,
  collection: CollectionName,
  key: Filter<Doc<T>>,
  record: T,
  conflict: (index: string) => Error | null,
): Promise<boolean> {
  const doc = toDoc(record);
  try {
    const res = await col.updateOne(key, { $setOnInsert: doc }, { upsert: true });
    return res.upsertedCount === 1;
  } catch (err) {
    const index = duplicateKeyIndex(err, collection);
    if (index === null) throw err;
    if (await col.findOne(key, { projection: { _id: 1 } })) return false;
    throw conflict(index) ?? err;
  }
}
