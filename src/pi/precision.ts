// How a requested number of decimal digits maps to a fixed-point scale and a kernel.
//
// Results are integers in units of 2^-bits. The kernel is a function of the precision alone, so
// every task of a run computes the same integer for the same range, wherever it runs.

export type KernelName = 'dd103' | 'bigint';

export interface Scale {
  /** Decimal digits asked for. */
  digits: number;
  /** Fixed-point fraction bits: values are integers in units of 2^-bits. */
  bits: number;
  kernel: KernelName;
}

export const MIN_DIGITS = 10;
export const MAX_DIGITS = 10000;
/** Up to this many digits the double-double kernel (103 fraction bits) has room for its guard bits. */
export const DD_MAX_DIGITS = 20;
/** Guard bits for the BigInt kernel: each pair adds < 1 unit of rounding, 2^48 pairs stay below 2^-48 of a digit. */
const GUARD_BITS = 48;

export function scaleFor(digits: number): Scale {
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new Error(`precision ${digits} is not an integer between ${MIN_DIGITS} and ${MAX_DIGITS}`);
  }
  if (digits <= DD_MAX_DIGITS) return { digits, bits: 103, kernel: 'dd103' };
  return { digits, bits: Math.ceil(digits * Math.log2(10)) + GUARD_BITS, kernel: 'bigint' };
}
