/**
 * An index of ids by a moment, bucketed by hour: what an ascending MongoDB index on a date field
 * gives a "due by now" query. Reading the due ids costs the number of hour buckets plus the due
 * entries, not the number of records.
 */
const HOUR = 3600_000;

export class HourIndex {
  private readonly buckets = new Map<number, Set<string>>();

  add(id: string, at: Date | null | undefined): void {
    if (!at) return;
    const hour = Math.floor(at.getTime() / HOUR);
    const bucket = this.buckets.get(hour) ?? new Set<string>();
    bucket.add(id);
    this.buckets.set(hour, bucket);
  }

  remove(id: string, at: Date | null | undefined): void {
    if (!at) return;
    const hour = Math.floor(at.getTime() / HOUR);
    const bucket = this.buckets.get(hour);
    bucket?.delete(id);
    if (bucket?.size === 0) this.buckets.delete(hour);
  }

  /** Ids filed at or before the hour of `now` (callers check the exact moment themselves). */
  *upTo(now: Date): Iterable<string> {
    const last = Math.floor(now.getTime() / HOUR);
    for (const [hour, ids] of this.buckets) if (hour <= last) yield* ids;
  }
}
