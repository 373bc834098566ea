// How a requested number of decimal digits maps to a fixed-point scale and a kernel.
//
// Results are integers in units of 2^-bits. The kernel is a function of the precision alone, so
// every task of a run computes the same integer for the same range, wherever it runs.

/**
 * 'grouped': pairs below GROUPED_FROM, Taylor groups beyond (group-kernel.ts).
 * 'pairs': one floored division per pair throughout (bigint-kernel.ts).
 */
export type KernelName = 'grouped' | 'pairs';

export interface Scale {
  /** Decimal digits asked for. */
  digits: number;
  /** Fixed-point fraction bits: values are integers in units of 2^-bits. */
  bits: number;
  kernel: KernelName;
}

export const MIN_DIGITS = 10;
export const MAX_DIGITS = 10000;
/**
 * Up to this many digits the groups are used. Their shared table of exact power sums grows with
 * the square of the precision (2000 digits: ~6 MB and 0.7 s per worker thread on x86, once), so
 * beyond it the pair kernel keeps a task's memory small.
 */
export const GROUPED_MAX_DIGITS = 2000;
/** Guard bits: each pair adds < 1 unit of rounding, so 2^48 pairs stay below 2^-48 of a digit. */
const GUARD_BITS = 48;

export function scaleFor(digits: number): Scale {
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new Error(`precision ${digits} is not an integer between ${MIN_DIGITS} and ${MAX_DIGITS}`);
  }
  const bits = Math.ceil(digits * Math.log2(10)) + GUARD_BITS;
  return { digits, bits, kernel: digits <= GROUPED_MAX_DIGITS ? 'grouped' : 'pairs' };
}
