/**
 * How a chart's time range becomes at most N buckets, and which table answers them. Buckets are
 * "nice" sizes aligned to the Unix epoch (so to UTC hours and days), which lets the rollup tables
 * answer whenever the bucket is a whole number of their own buckets.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const ROLLUP_5M_MS = 5 * MINUTE_MS;

export type HistorySource = 'raw' | '5m' | '1h';

const NICE_BUCKETS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  MINUTE_MS, 2 * MINUTE_MS, 5 * MINUTE_MS, 10 * MINUTE_MS, 15 * MINUTE_MS, 30 * MINUTE_MS,
  HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS,
  DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS, 28 * DAY_MS,
];

/** The first bucket start at or before `t` (epoch-aligned). */
export function bucketStart(t: number, bucketMs: number): number {
  return Math.floor(t / bucketMs) * bucketMs;
}

/** How many epoch-aligned buckets of `bucketMs` touch [from, to). */
export function bucketCount(from: number, to: number, bucketMs: number): number {
  return Math.floor((to - 1) / bucketMs) - Math.floor(from / bucketMs) + 1;
}

/** The smallest nice bucket that cuts [from, to) into at most `maxPoints` aligned buckets. */
export function chooseBucket(from: number, to: number, maxPoints: number): number {
  if (!(to > from)) throw new RangeError('the range must end after it starts');
  if (!(maxPoints >= 1)) throw new RangeError('at least one point is needed');
  for (const size of NICE_BUCKETS_MS) if (bucketCount(from, to, size) <= maxPoints) return size;
  // Beyond the table (decades on a handful of points): whole weeks, as many as needed.
  let weeks = 4;
  while (bucketCount(from, to, weeks * 7 * DAY_MS) > maxPoints) weeks *= 2;
  return weeks * 7 * DAY_MS;
}

/** The coarsest table whose buckets tile `bucketMs` exactly. */
export function sourceFor(bucketMs: number): HistorySource {
  if (bucketMs % HOUR_MS === 0) return '1h';
  if (bucketMs % ROLLUP_5M_MS === 0) return '5m';
  return 'raw';
}
