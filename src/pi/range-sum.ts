import { bigintPairSum } from './bigint-kernel';
import { groupSum } from './group-kernel';
import { Scale } from './precision';
import { checkRange, GROUP_TERMS, GROUPED_FROM, TermRange } from './range';

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

/**
 * The rounding bound a kernel guarantees for a range, in units of 2^-bits: a function of the range
 * and kernel alone, so a peer's result can be checked against it. A floored pair is low by less
 * than one unit; a group of GROUP_PAIRS pairs is off by less than 1.0001 units (group-kernel.ts),
 * stated as 2.
 */
export function kernelErrorUnits(kernel: Scale['kernel'], range: TermRange): bigint {
  const end = range.start + range.count;
  if (kernel === 'pairs') return BigInt(range.count / 2);
  const pairTerms = Math.max(0, Math.min(end, GROUPED_FROM) - range.start);
  return BigInt(pairTerms / 2) + 2n * BigInt((range.count - pairTerms) / GROUP_TERMS);
}

export function sumRange(range: TermRange, scale: Scale): RangeSum {
  checkRange(range);
  const end = range.start + range.count;
  let value = 0n;
  let t = range.start;
  // The first GROUPED_FROM terms, and everything for the pair kernel, one division per pair.
  const pairsEnd = scale.kernel === 'grouped' ? Math.min(end, Math.max(t, GROUPED_FROM)) : end;
  if (pairsEnd > t) {
    value += bigintPairSum(t / 2, (pairsEnd - t) / 2, scale.bits);
    t = pairsEnd;
  }
  // From there on the range holds whole groups (checkRange).
  for (let g = t / GROUP_TERMS; t < end; g++, t += GROUP_TERMS) value += groupSum(g, scale.bits);
  return { start: range.start, count: range.count, bits: scale.bits, kernel: scale.kernel, value, errUnits: kernelErrorUnits(scale.kernel, range) };
}
