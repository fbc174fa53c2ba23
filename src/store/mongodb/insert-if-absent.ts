import type { Collection, Filter } from 'mongodb';
import type { Doc } from './documents.js';
import { toDoc } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';

/**
 * Insert-if-absent on a unique key other than `_id` (e.g. (workspaceId, userId)): an upsert with
 * $setOnInsert rather than a bare insertOne, because inserting the same record twice (a retried
 * job) would collide on `_id` before the key's index is even looked at, yet the port's answer for
 * it is "already there" (false), not an error. A concurrent insert that wins the race surfaces as
 * a duplicate on `keyIndex` and is also false; any other duplicate goes through `conflict`.
 */
export async function insertIfAbsent<T extends { id: string }>(
  col: Collection<Doc<T>>,
  key: Filter<Doc<T>>,
  record: T,
  keyIndex: string,
  conflict: (err: unknown) => unknown,
): Promise<boolean> {
  try {
    const res = await col.updateOne(key, { $setOnInsert: toDoc(record) }, { upsert: true });
    return res.upsertedCount === 1;
  } catch (err) {
    if (duplicateKeyIndex(err) === keyIndex) return false;
    throw conflict(err);
  }
}
