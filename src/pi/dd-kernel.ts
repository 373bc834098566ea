// Paired-term sum in exact fixed point at 2^-103, computed with double-double arithmetic.
//
// Why it is exact and deterministic: every operation below is an IEEE-754 binary64 +, −, × or ÷
// with round-to-nearest, which JavaScript guarantees bit-for-bit on every platform (no FMA
// contraction, no extended precision). So the integer a pair contributes depends only on j, and
// sums are accumulated exactly; any split of a run into ranges adds up to the same integer.
//
// Per pair j ≥ 1, with a = 4j+1 and b = a+2 (both integers below 2^52):
//   r = fl(4/a);  e = 4 − r·a, computed exactly: the product error comes from Dekker's
//   TwoProduct (r split by Veltkamp into 26-bit halves; a = ah + al split by integer arithmetic,
//   ah a multiple of 2^26 with ≤ 26 significant bits, al < 2^26), and 4 − fl(r·a) is exact by
//   Sterbenz's lemma because fl(r·a) ≈ 4. Then c = fl(fl(e·r)·0.25) ≈ e/a with relative error
//   ≤ 3u (u = 2^-53), and since |e/a| ≤ u·4/a, |c − e/a| ≤ 3u²·4/a·(1+u).
//   The pair value is 4/a − 4/b = (r1 − r2) + (c1 − c2) up to those errors; r1 − r2 is exact by
//   Sterbenz (r2 ≥ r1/2 for a ≥ 2), and fl(c1 − c2) adds at most u·|c1 − c2| ≤ 8u²/a.
//   Total: |pair − (s1 + s2)| ≤ (12 + 12 + 8)·u²/a·(1+2u) < 2^-101/a ≤ 0.81 units of 2^-103 for a ≥ 5.
// Fixed-point accumulation: s1 and s2 are cut into parts on three fixed grids, 2^-33, 2^-68 and
// 2^-103, by adding and subtracting 1.5·2^k (exact while |p| < 2^(k−1), which holds at each level
// because the previous level left |p| ≤ half its grid). Each part is a multiple of its grid and
// small enough that 2^16 of them sum exactly in a double; the parts below 2^-104 are dropped, at
// most half a unit for s1 and for s2. So each pair is off by less than 0.81 + 1 < 2 units, and a
// range of n pairs is within 2n units of the true sum. Pair 0 (a = 1 breaks Sterbenz) is taken
// exactly in BigInt: floor(8·2^103/3), off by less than one unit.

export const DD_BITS = 103;

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter
const K0 = 1.5 * 2 ** 19;
const K1 = 1.5 * 2 ** -16;
const K2 = 1.5 * 2 ** -51;
const G0 = 2 ** -33;
const G1 = 2 ** -68;
const G2 = 2 ** -103;
/** Pairs per flush: keeps every accumulator below 2^53 grid units. */
const FLUSH_PAIRS = 2 ** 16;
/** a's high part stays constant across 2^24 pairs (4·2^24 = 2^26). */
const SPLIT_SPAN = 2 ** 24;
const PAIR0 = (8n << 103n) / 3n;

/** Bound on |result − true sum| in units of 2^-103 for n pairs. */
export function ddErrorUnits(pairs: number): bigint {
  return 2n * BigInt(pairs);
}

/** Sum of pairs [j0, j0+n) in units of 2^-103. Requires j0 + n ≤ 2^49. */
export function ddPairSum(j0: number, n: number): bigint {
  let total = 0n;
  let j = j0;
  const end = j0 + n;
  if (j === 0 && end > 0) {
    total += PAIR0;
    j = 1;
  }
  while (j < end) {
    const base = Math.floor(j / SPLIT_SPAN) * SPLIT_SPAN;
    const stop = Math.min(end, j + FLUSH_PAIRS, base + SPLIT_SPAN);
    const ah = 4 * base;
    // Separate accumulators for the s1 and s2 parts keep each loop-carried chain to one add.
    let acc0 = 0;
    let acc1 = 0;
    let acc2 = 0;
    let acc1b = 0;
    let acc2b = 0;
    for (; j < stop; j++) {
      const al = 4 * (j - base) + 1;
      const bl = al + 2;
      const a = ah + al;
      const b = ah + bl;
      const r1 = 4 / a;
      const r2 = 4 / b;
      let t = SPLIT * r1;
      const r1h = t - (t - r1);
      const r1l = r1 - r1h;
      t = SPLIT * r2;
      const r2h = t - (t - r2);
      const r2l = r2 - r2h;
      const p1 = r1 * a;
      const p2 = r2 * b;
      const e1 = (4 - p1) - (((r1h * ah - p1) + r1h * al + r1l * ah) + r1l * al);
      const e2 = (4 - p2) - (((r2h * ah - p2) + r2h * bl + r2l * ah) + r2l * bl);
      let s1 = r1 - r2;
      let s2 = e1 * r1 * 0.25 - e2 * r2 * 0.25;
      let x = (s1 + K0) - K0;
      acc0 += x;
      s1 -= x;
      x = (s1 + K1) - K1;
      acc1 += x;
      s1 -= x;
      acc2 += (s1 + K2) - K2;
      const y = (s2 + K1) - K1;
      acc1b += y;
      s2 -= y;
      acc2b += (s2 + K2) - K2;
    }
    // Each accumulator divided by its grid is an integer below 2^53, so the conversions are exact.
    total +=
      (BigInt(acc0 / G0) << 70n) +
      ((BigInt(acc1 / G1) + BigInt(acc1b / G1)) << 35n) +
      BigInt(acc2 / G2) +
      BigInt(acc2b / G2);
  }
  return total;
}
