/**
 * The grant queries (GrantQueries) on a collection whose documents may carry `grant`. Each reads
 * through a partial index that holds only documents under a grant (`grant.until` is a date), so
 * their cost follows the grants, not the collection. The `$type` repeats the partial filter: the
 * planner only uses a partial index for a query that states its filter.
 */
import type { Collection, Document, Filter } from 'mongodb';
import type { GrantQueries } from '../../app/ports.js';
import type { Doc } from './documents.js';
import { fromDoc, isKey, toLimit } from './documents.js';

const UNDER_GRANT = { 'grant.until': { $type: 'date' } } as const;
/** The partial filter of the grant indexes (indexes.ts). */
export const GRANT_INDEX_FILTER = UNDER_GRANT;

export function mongoGrantQueries<T extends { id: string }>(col: Collection<Doc<T>>): GrantQueries<T> {
  const find = async (filter: Document, limit: number) => {
    const n = toLimit(limit);
    if (n <= 0) return [];
    const docs = await col.find(filter as Filter<Doc<T>>).sort({ 'grant.until': 1 }).limit(n).toArray();
    return docs.map((d) => fromDoc<T>(d as Doc<T>));
  };
  return {
    listGrantsDue: (now, limit) => (now instanceof Date ? find({ 'grant.until': { $type: 'date', $lte: now } }, limit) : Promise.resolve([])),
    listGrants: (workspaceId, limit) => (isKey(workspaceId) ? find({ workspaceId, ...UNDER_GRANT }, limit) : Promise.resolve([])),
    countGrants: () => col.countDocuments(UNDER_GRANT as Filter<Doc<T>>),
  };
}
