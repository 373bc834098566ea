// Term ranges [start, start+count) of the Leibniz series Σ (−1)^k·4/(2k+1).
//
// A range's exact integer must be a function of its terms alone, so that any split of [0, N),
// merged in any order, gives the same total. The kernels round per pair (terms 2j, 2j+1) below
// GROUPED_FROM and per group of GROUP_TERMS beyond it, so range boundaries are multiples of
// BLOCK_TERMS below GROUPED_FROM and multiples of GROUP_TERMS from there on: no range ever splits
// a unit the kernel rounds as one.
export const BLOCK_TERMS = 32;
/** Pairs a kernel may sum as one unit (group-kernel.ts): a power of two. */
export const GROUP_PAIRS = 8192;
export const GROUP_TERMS = 2 * GROUP_PAIRS;
/** The first group the Taylor expansion is used for (its centre must be far enough from 0). */
export const GROUPED_FROM_GROUP = 128;
/** From this term on, range boundaries are group boundaries (2^21 terms). */
export const GROUPED_FROM = GROUPED_FROM_GROUP * GROUP_TERMS;

/** The series stops here: term indices and range ends stay exact in a double (2^52 < 2^53). */
export const MAX_TERMS = 2 ** 52;

export interface TermRange {
  start: number;
  count: number;
}

export class RangeError_ extends Error {}

/** True when a range may start or end at term `x`. */
export function isBoundary(x: number): boolean {
  return x % BLOCK_TERMS === 0 && (x < GROUPED_FROM || x % GROUP_TERMS === 0);
}

/** The last boundary at or below x (x ≥ 0). */
export function boundaryAtOrBelow(x: number): number {
  const unit = x < GROUPED_FROM ? BLOCK_TERMS : GROUP_TERMS;
  return Math.floor(x / unit) * unit;
}

/** The first boundary at or above x (x ≥ 0). */
export function boundaryAtOrAbove(x: number): number {
  const below = boundaryAtOrBelow(x);
  if (below === x) return x;
  return below + (below < GROUPED_FROM ? BLOCK_TERMS : GROUP_TERMS);
}

/**
 * Where a range from the boundary `start` of about `terms` terms ends: the last boundary within
 * `terms`, or the first one after `start` when `terms` is shorter than that (one 32-term block
 * below GROUPED_FROM, one group beyond).
 */
export function rangeEnd(start: number, terms: number): number {
  return Math.max(boundaryAtOrBelow(start + Math.max(0, terms)), boundaryAtOrAbove(start + 1));
}

export function checkRange(r: TermRange): void {
  const { start, count } = r;
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError_(`range start ${start} is not a non-negative integer`);
  if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError_(`range count ${count} is not a positive integer`);
  if (start + count > MAX_TERMS) throw new RangeError_(`range end ${start + count} exceeds ${MAX_TERMS} terms`);
  if (!isBoundary(start) || !isBoundary(start + count)) {
    throw new RangeError_(
      `range [${start}, ${start + count}) is not aligned to ${BLOCK_TERMS} terms (below ${GROUPED_FROM}) and ${GROUP_TERMS} terms (from there on)`,
    );
  }
}

export function rangeKey(r: TermRange): string {
  return `${r.start}+${r.count}`;
}
