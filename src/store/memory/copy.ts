/** Records are copied in and out, so callers can never change stored state by accident. */
export const copy = <T>(v: T): T => structuredClone(v);

/** The fields of a compare-and-set that are really given: `{ status: undefined }` changes nothing. */
export const given = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(copy(fields)).filter(([, v]) => v !== undefined)) as Partial<T>;

/** At most `limit` items; a limit of zero or less gives none (slice(0, -1) would give all but one). */
export const take = <T>(xs: T[], limit: number): T[] => (limit > 0 ? xs.slice(0, limit) : []);
