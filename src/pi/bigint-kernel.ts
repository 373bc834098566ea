// Exact paired-term sum in BigInt fixed point.
//
// Pair j covers terms 2j and 2j+1: 4/(4j+1) − 4/(4j+3) = 8/((4j+1)(4j+3)), one positive term and one
// division per pair, no cancellation. Each pair contributes floor(8·2^bits / d_j), which is low by
// less than one unit, so n pairs give an integer x with the true value in [x, x+n)·2^-bits.

/** Sum of pairs [j0, j0+n) in units of 2^-bits, each pair floored. */
export function bigintPairSum(j0: number, n: number, bits: number): bigint {
  const c = 1n << BigInt(bits + 3);
  let acc = 0n;
  // d_j = 16j² + 16j + 3 advances by 32j + 32: two small BigInt additions per pair are cheaper
  // than converting 4j+1 and 4j+3 and multiplying (measured: 1.35× at 100 digits).
  const a = 4n * BigInt(j0) + 1n; // in BigInt: 4·j0 + 3 reaches 2^53 − 1 at the series' end
  let d = a * (a + 2n);
  let step = 32n * BigInt(j0) + 32n;
  for (let i = 0; i < n; i++) {
    acc += c / d;
    d += step;
    step += 32n;
  }
  return acc;
}
