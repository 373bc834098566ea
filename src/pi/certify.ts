// Certified digits of π from the exact sum of the first N terms.
//
// Let a_k = 4/(2k+1) and R_N = Σ_{k≥N} (−1)^(k−N)·a_k, so π = S_N + (−1)^N·R_N. Because a_k
// decreases and is convex (its differences decrease), R_N − R_{N+1} is itself an alternating sum
// of decreasing terms and so positive: R is decreasing. With R_N + R_{N+1} = a_N this gives
// a_N/2 ≤ R_N ≤ a_{N−1}/2, i.e. R_N ∈ [2/(2N+1), 2/(2N−1)] for N ≥ 1: an interval of width
// ≈ 1/N², twice the digits of the plain "π lies between S_N and S_N+1" bound, and just as certain.
// The interval is widened by the accumulated rounding bound and rounded outwards; a digit is
// certified only when both ends of the interval agree on it.

export interface Certified {
  /** Terms in the prefix the estimate comes from. */
  terms: number;
  /** Certainly correct digits, "3.14159…"; "" when not even the integer part is certain. */
  certified: string;
  /** The next digits of the interval's midpoint, not certain. */
  uncertain: string;
  /** Number of certified decimals after the point (−1 when nothing is certified). */
  decimals: number;
  /** The interval itself, in units of 2^-bits. */
  lo: bigint;
  hi: bigint;
}

const ceilDiv = (a: bigint, b: bigint): bigint => -((-a) / b);

export function piInterval(terms: number, value: bigint, errUnits: bigint, bits: number): { lo: bigint; hi: bigint } {
  if (terms < 1) return { lo: 0n, hi: 4n << BigInt(bits) };
  const one = 1n << BigInt(bits);
  const n = BigInt(terms);
  const rLo = (2n * one) / (2n * n + 1n); // rounded down
  const rHi = ceilDiv(2n * one, 2n * n - 1n); // rounded up
  const sLo = value - errUnits;
  const sHi = value + errUnits;
  return terms % 2 === 0 ? { lo: sLo + rLo, hi: sHi + rHi } : { lo: sLo - rHi, hi: sHi - rLo };
}

function decimalString(x: bigint, bits: number, decimals: number): string {
  // floor(x·10^decimals / 2^bits), written as d.ddd…
  const scaled = (x * 10n ** BigInt(decimals)) >> BigInt(bits);
  const s = scaled.toString().padStart(decimals + 1, '0');
  return s.slice(0, s.length - decimals) + '.' + s.slice(s.length - decimals);
}

export function certify(terms: number, value: bigint, errUnits: bigint, bits: number, uncertainCount = 5): Certified {
  const { lo, hi } = piInterval(terms, value, errUnits, bits);
  // Before the first term there is no estimate at all, not even an uncertain one.
  if (terms < 1) return { terms, certified: '', uncertain: '', decimals: -1, lo, hi };
  // The interval cannot pin more decimals than the fixed point holds.
  const maxDecimals = Math.floor(bits * Math.log10(2));
  const loS = decimalString(lo, bits, maxDecimals);
  const hiS = decimalString(hi, bits, maxDecimals);
  let same = 0;
  while (same < loS.length && loS[same] === hiS[same]) same++;
  const mid = decimalString((lo + hi) / 2n, bits, maxDecimals);
  const point = loS.indexOf('.');
  let certified = loS.slice(0, same);
  if (same <= point) certified = '';
  else if (certified.endsWith('.')) certified = certified.slice(0, -1);
  const decimals = certified === '' ? -1 : Math.max(0, certified.length - point - 1);
  const from = certified === '' ? 0 : certified.length + (certified.includes('.') ? 0 : 1);
  const uncertain = mid.slice(from, from + uncertainCount + (certified === '' ? point + 1 : 0));
  return { terms, certified, uncertain, decimals, lo, hi };
}
