/**
 * Records are copied in and out, so callers can never change stored state by accident. Records
 * are plain data (objects, arrays, dates, strings, numbers), which this copies about four times
 * faster than structuredClone (measured: 1.8 vs 7.8 µs for a request); several copies are made
 * per store call, and the in-memory store is the one `npm run bench` measures. Anything else
 * (a Map, a typed array) is left to structuredClone.
 *
 * An invalid Date is refused (TypeError), as the MongoDB adapter refuses it: BSON would store it
 * as 1970. Every record goes through here on its way in, so nothing invalid is ever kept.
 */
export function copy<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copy) as T;
  if (v instanceof Date) {
    const t = v.getTime();
    if (Number.isNaN(t)) throw new TypeError('an invalid Date cannot be stored');
    return new Date(t) as T;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const value = copy((v as Record<string, unknown>)[k]);
    // An own "__proto__" key stays a key (assigned, it would set the copy's prototype).
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out as T;
}

/** The fields of a compare-and-set that are really given: `{ status: undefined }` changes nothing. */
export const given = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(copy(fields)).filter(([, v]) => v !== undefined)) as Partial<T>;

/** At most `limit` items; a limit of zero or less gives none (slice(0, -1) would give all but one). */
export const take = <T>(xs: T[], limit: number): T[] => (limit > 0 ? xs.slice(0, limit) : []);
