// Exact paired-term sum in BigInt fixed point.
//
// Pair j covers terms 2j and 2j+1: 4/(4j+1) − 4/(4j+3) = 8/((4j+1)(4j+3)), one positive term and one
// division per pair, no cancellation. Each pair contributes floor(8·2^bits / d_j), which is low by
// less than one unit, so n pairs give an integer x with the true value in [x, x+n)·2^-bits.

/** Sum of pairs [j0, j0+n) in units of 2^-bits, each pair floored. */
export function bigintPairSum(j0: number, n: number, bits: number): bigint {
  const c = 1n << BigInt(bits + 3);
  let acc = 0n;
  const end = j0 + n;
  // While (4j+1)(4j+3) < 2^53 the divisor is built in a double, which is cheaper than two BigInt
  // conversions and a BigInt product.
  const exactLimit = Math.min(end, 23726566); // (4j+1)(4j+3) < 2^53 for j < 23726566
  let j = j0;
  for (; j < exactLimit; j++) {
    const a = 4 * j + 1;
    acc += c / BigInt(a * (a + 2));
  }
  for (; j < end; j++) {
    const a = 4 * j + 1;
    acc += c / (BigInt(a) * BigInt(a + 2));
  }
  return acc;
}
