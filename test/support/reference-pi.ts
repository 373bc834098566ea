import Decimal from 'decimal.js';

// Reference values of π computed here, independently of the code under test.

/** floor(π·10^digits) by Machin's formula π = 16·atan(1/5) − 4·atan(1/239), in BigInt. */
export function machinPiScaled(digits: number): bigint {
  const guard = 20n;
  const scale = 10n ** (BigInt(digits) + guard);
  const atanInv = (x: bigint): bigint => {
    // atan(1/x)·scale = Σ (−1)^k / ((2k+1)·x^(2k+1)), truncated; error below one unit per term.
    let power = scale / x;
    let sum = power;
    const x2 = x * x;
    for (let k = 1n; power !== 0n; k++) {
      power /= x2;
      const term = power / (2n * k + 1n);
      sum += k % 2n === 1n ? -term : term;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  return pi / 10n ** guard;
}

/** π to `digits` decimals as a string "3.1415…", by Machin, cross-checked against decimal.js. */
export function referencePi(digits: number): string {
  const s = machinPiScaled(digits).toString();
  const machin = `${s[0]}.${s.slice(1)}`;
  const viaDecimal = gaussLegendrePi(digits).toFixed(digits + 5, Decimal.ROUND_DOWN).slice(0, digits + 2);
  if (viaDecimal !== machin) throw new Error('reference π: Machin and Gauss–Legendre disagree');
  return machin;
}

/** π by the Gauss–Legendre AGM iteration in decimal.js: a second, unrelated method. */
function gaussLegendrePi(digits: number): Decimal {
  const D = Decimal.clone({ precision: digits + 20, rounding: Decimal.ROUND_HALF_EVEN });
  let a = new D(1);
  let b = new D(1).div(new D(2).sqrt());
  let t = new D(0.25);
  let p = new D(1);
  // Each step doubles the correct digits.
  for (let i = 0; i < Math.ceil(Math.log2(digits)) + 2; i++) {
    const an = a.plus(b).div(2);
    b = a.times(b).sqrt();
    t = t.minus(p.times(a.minus(an).pow(2)));
    a = an;
    p = p.times(2);
  }
  return a.plus(b).pow(2).div(t.times(4));
}

/** π·2^bits rounded down, from the Machin reference. */
export function referencePiFixed(bits: number): bigint {
  const digits = Math.ceil(bits * Math.log10(2)) + 10;
  return (machinPiScaled(digits) << BigInt(bits)) / 10n ** BigInt(digits);
}

/** Exact S_N·2^bits as a rational: exact partial sum numerator/denominator for small N. */
export function exactPartialSum(terms: number): { num: bigint; den: bigint } {
  let num = 0n;
  let den = 1n;
  for (let k = 0; k < terms; k++) {
    const d = BigInt(2 * k + 1);
    const t = k % 2 === 0 ? 4n : -4n;
    num = num * d + t * den;
    den *= d;
  }
  return { num, den };
}
