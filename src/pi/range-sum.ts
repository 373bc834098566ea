import { bigintPairSum } from './bigint-kernel';
import { DD_BITS, ddErrorUnits, ddPairSum } from './dd-kernel';
import { Scale } from './precision';
import { checkRange, TermRange } from './range';

/**
 * The exact result of a range: the true partial sum lies in
 * [value − errUnits, value + errUnits] · 2^-bits.
 */
export interface RangeSum extends TermRange {
  bits: number;
  kernel: Scale['kernel'];
  value: bigint;
  errUnits: bigint;
}

/** The rounding bound a kernel guarantees for a range of `count` terms, in units of 2^-bits. */
export function kernelErrorUnits(kernel: Scale['kernel'], count: number): bigint {
  const pairs = count / 2;
  // dd: < 2 units per pair (dd-kernel); bigint: floor per pair, true value in [x, x + n), stated
  // symmetrically, which is conservative.
  return kernel === 'dd103' ? ddErrorUnits(pairs) : BigInt(pairs);
}

export function sumRange(range: TermRange, scale: Scale): RangeSum {
  checkRange(range);
  const j0 = range.start / 2;
  const pairs = range.count / 2;
  if (scale.kernel === 'dd103') {
    if (scale.bits !== DD_BITS) throw new Error(`dd103 kernel needs ${DD_BITS} bits, not ${scale.bits}`);
    return { ...pick(range), bits: scale.bits, kernel: scale.kernel, value: ddPairSum(j0, pairs), errUnits: kernelErrorUnits('dd103', range.count) };
  }
  return {
    ...pick(range),
    bits: scale.bits,
    kernel: scale.kernel,
    value: bigintPairSum(j0, pairs, scale.bits),
    errUnits: kernelErrorUnits('bigint', range.count),
  };
}

function pick(r: TermRange): TermRange {
  return { start: r.start, count: r.count };
}
