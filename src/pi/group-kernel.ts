import { GROUP_PAIRS, GROUPED_FROM_GROUP } from './range';

// A whole group of GROUP_PAIRS consecutive pairs at once, from a Taylor expansion about the
// group's centre, in BigInt fixed point with a proved bound on every rounding and on the
// truncated tail. Per pair it costs a small fraction of one division, where the pair kernel
// costs one long division per pair.
//
// The series. The pairs of group g are j = c + i, i ∈ [−h, h), with 2h = GROUP_PAIRS = 2^P and
// c = g·2h + h. With u = 4j + 2 a pair is 8/(u² − 1) = 4/(u − 1) − 4/(u + 1), and u = U + 2s with
// U = 4c and s odd, |s| ≤ 2h − 1: the offsets are symmetric about U. For A = U ∓ 1 and |2s| < A,
//   Σ_s 1/(A + 2s) = (1/A)·Σ_{m ≥ 0} q_{2m}·r^m,   r = (4h/A)²,   q_n = Σ_s (s/2h)^n ≤ 2h,
// because the odd powers cancel over a symmetric set of offsets and the series converges
// absolutely. The group is 4·(sum for A = U − 1 − sum for A = U + 1). q_n = Q_n/(2h)^n, with
// Q_n = 2·Σ_{i=1..h} (2i − 1)^n exact and shared by every group (computed once per thread).
//
// Evaluation, at G = bits + GUARD_BITS fraction bits. With aBits the bit length of A,
// r ≤ 2^-l2, l2 = 2(aBits − 1) − 2(P + 1) ≥ 16 (groups from GROUPED_FROM_GROUP have A ≥ 2^22).
// Horner from level M = floor((G + P)/l2) down to 0, level m held in units of 2^-G_m,
// G_m = G − m·l2 (a term r^m smaller needs m·l2 fewer bits):
//   W_M = floor(q_2M·2^G_M),   W_m = floor(q_2m·2^G_m) + floor(W_{m+1}·2^(l2 + 2(P+1)) / A²).
// 2^(l2 + 2(P+1)) = 2^(2(aBits−1)) ≤ A², so an error carried up a level does not grow, and each
// level adds two floors: W_0 is low by less than 2M + 1 units of 2^-G. The sum is floor(W_0/A):
// low by less than (2M + 1)/A + 1 < 1.001 units (M < 2^12, A ≥ 2^22). The dropped tail is
// Σ_{m>M} 2h·r^m·2^G/A < 2^(P + G − (M+1)·l2)/(1 − r)/A < 2^-21 units. So each of the two sums is
// low by less than 1.002 units; their difference times 4 is off by less than 4.01 units of 2^-G,
// and after the floor to 2^-bits the group is off by less than 4.01/2^16 + 1 < 1.0001 units.
// The stated bound (two units per group, range-sum.ts) covers that.
//
// All of it is integer arithmetic on (g, bits), so a group's integer is the same on every machine.

const H = GROUP_PAIRS / 2;
const P = Math.log2(GROUP_PAIRS);
const GUARD_BITS = 16;

if (!Number.isInteger(P)) throw new Error('GROUP_PAIRS must be a power of two');

/** Q_n for even n (index n/2), exact, grown on demand: nearer groups and higher precisions need more. */
const powerSums: bigint[] = [BigInt(2 * H)];
/** (2i − 1)^n for i = 1..h at the last n computed, and the squares that advance n by 2. */
let powers: bigint[] = [];
let squares: bigint[] = [];

function powerSum(n: number): bigint {
  const idx = n / 2;
  while (powerSums.length <= idx) {
    if (powers.length === 0) {
      powers = Array.from({ length: H }, () => 1n);
      squares = Array.from({ length: H }, (_, i) => BigInt((2 * i + 1) * (2 * i + 1)));
    }
    let s = 0n;
    for (let i = 0; i < H; i++) {
      const p = powers[i] * squares[i];
      powers[i] = p;
      s += p;
    }
    powerSums.push(2n * s);
  }
  return powerSums[idx];
}

/**
 * The Horner scheme for an A of `aBits` bits at `bits` fraction bits: r = (4h/A)² ≤ 2^-l2, and
 * levels M = floor((G + P)/l2), and whether A² outgrows a word. Also what pi/cost.ts counts.
 */
export function hornerShape(aBits: number, bits: number): { l2: number; levels: number; wide: boolean } {
  const l2 = 2 * (aBits - 1) - 2 * (P + 1);
  // wide: A² no longer fits a 64-bit word, so each level divides by A twice.
  return { l2, levels: Math.floor((bits + GUARD_BITS + P) / l2), wide: aBits > 32 };
}

/**
 * floor(q_2m·2^G_m) for the levels of one Horner evaluation. Every group whose A has the same bit
 * length shares the table, so one table serves a run for a doubling of the term index.
 */
let tableBits = -1;
let tableL2 = -1;
let table: bigint[] = [];

function scaledPowerSums(fracBits: number, l2: number, levels: number): bigint[] {
  if (fracBits !== tableBits || l2 !== tableL2) {
    table = [];
    for (let m = 0; m <= levels; m++) {
      const shift = 2 * m * P - (fracBits - m * l2); // Q_2m / (2h)^2m · 2^G_m
      const q = powerSum(2 * m);
      table.push(shift >= 0 ? q >> BigInt(shift) : q << BigInt(-shift));
    }
    tableBits = fracBits;
    tableL2 = l2;
  }
  return table;
}

function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/** Σ_s 1/(A + 2s) over the group's offsets, in units of 2^-G, low by less than 1.002 units. */
function seriesSum(a: bigint, bits: number): bigint {
  const { l2, levels, wide } = hornerShape(bitLength(a), bits);
  const q = scaledPowerSums(bits + GUARD_BITS, l2, levels);
  const up = BigInt(l2 + 2 * (P + 1));
  let w = q[levels];
  if (!wide) {
    const a2 = a * a;
    for (let m = levels - 1; m >= 0; m--) w = q[m] + (w << up) / a2;
  } else {
    // A² no longer fits a word: two one-word divisions (floor(floor(x/A)/A) = floor(x/A²), the
    // same integer) are ~1.5× faster than one by a two-word divisor (measured, V8).
    for (let m = levels - 1; m >= 0; m--) w = q[m] + (w << up) / a / a;
  }
  return w / a;
}

/**
 * Pairs [group·2h, (group+1)·2h) in units of 2^-bits, off by less than 1.0001 units either way.
 * Only for groups from GROUPED_FROM_GROUP on, where the expansion converges fast enough.
 */
export function groupSum(group: number, bits: number): bigint {
  if (!Number.isSafeInteger(group) || group < GROUPED_FROM_GROUP) throw new Error(`group ${group} is too near the start to sum as a group`);
  const u = 4n * (BigInt(group) * BigInt(GROUP_PAIRS) + BigInt(H));
  const d = seriesSum(u - 1n, bits) - seriesSum(u + 1n, bits);
  return (4n * d) >> BigInt(GUARD_BITS);
}
