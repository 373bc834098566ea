// Term ranges [start, start+count) of the Leibniz series Σ (−1)^k·4/(2k+1).
//
// Every range is aligned to BLOCK_TERMS. The kernels pair terms (2j, 2j+1), so a range must start
// on an even term; the larger block also lets any kernel use a fixed grouping of pairs without a
// range boundary ever splitting a group. That alignment is what makes a range's exact integer a
// function of the terms alone: any split of [0, N) merged in any order gives the same total.
export const BLOCK_TERMS = 32;

/** Beyond this the double-double kernel's integer splitting of 4j+1 no longer holds (see dd-kernel). */
export const MAX_TERMS = 2 ** 50;

export interface TermRange {
  start: number;
  count: number;
}

export class RangeError_ extends Error {}

export function checkRange(r: TermRange): void {
  const { start, count } = r;
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError_(`range start ${start} is not a non-negative integer`);
  if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError_(`range count ${count} is not a positive integer`);
  if (start % BLOCK_TERMS !== 0 || count % BLOCK_TERMS !== 0) {
    throw new RangeError_(`range [${start}, ${start + count}) is not aligned to ${BLOCK_TERMS} terms`);
  }
  if (start + count > MAX_TERMS) throw new RangeError_(`range end ${start + count} exceeds ${MAX_TERMS} terms`);
}

export function rangeKey(r: TermRange): string {
  return `${r.start}+${r.count}`;
}
