import { expect } from 'chai';
import { bigintPairSum } from '../../src/pi/bigint-kernel';
import { ddPairSum } from '../../src/pi/dd-kernel';
import { exactPartialSum, referencePi } from '../support/reference-pi';

// Exact value of pair j (terms 2j, 2j+1) times 2^bits, as num/den.
function exactPair(j: number, bits: number): { num: bigint; den: bigint } {
  const a = BigInt(4 * j + 1);
  return { num: 8n << BigInt(bits), den: a * (a + 2n) };
}

/** (x − exact)·den, i.e. the error of x in units, scaled by den. */
function scaledError(x: bigint, e: { num: bigint; den: bigint }): bigint {
  return x * e.den - e.num;
}

describe('pi kernels', () => {
  it('reference π from Machin agrees with decimal.js and the known digits', () => {
    expect(referencePi(1000).slice(0, 32)).to.equal('3.141592653589793238462643383279');
  });

  it('the BigInt kernel floors every pair: error in (−1, 0] units', () => {
    const bits = 200;
    for (const j of [0, 1, 2, 3, 999, 23726565, 23726566, 23726567, 2 ** 33 + 5, 2 ** 48 - 1]) {
      const x = bigintPairSum(j, 1, bits);
      const err = scaledError(x, exactPair(j, bits));
      const den = exactPair(j, bits).den;
      expect(err <= 0n && err > -den, `pair ${j}`).to.equal(true);
    }
  });

  it('the double-double kernel is within 2 units per pair, from j = 0 up to 2^49', () => {
    const js: number[] = [0, 1, 2, 3, 4, 5, 100, 12345, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 123456789, 2 ** 36 + 3, 2 ** 40 + 7, 2 ** 49 - 1];
    let j = 7;
    while (j < 2 ** 49) { js.push(j); j = Math.floor(j * 1.37) + 3; }
    for (const jj of js) {
      const x = ddPairSum(jj, 1);
      const e = exactPair(jj, 103);
      const err = scaledError(x, e);
      const abs = err < 0n ? -err : err;
      expect(abs <= 2n * e.den, `pair ${jj}: error ${Number(err) / Number(e.den)} units`).to.equal(true);
    }
  });

  it('both kernels bracket the exact partial sum of the first 2000 terms', () => {
    const { num, den } = exactPartialSum(2000);
    for (const [bits, x, err] of [
      [103, ddPairSum(0, 1000), 2000n],
      [160, bigintPairSum(0, 1000, 160), 1000n],
    ] as [number, bigint, bigint][]) {
      const exact = num << BigInt(bits); // S·2^bits·den
      expect((x - err) * den <= exact && exact <= (x + err) * den, `bits ${bits}`).to.equal(true);
    }
  });

  it('a long double-double range stays within its bound of the BigInt kernel at the same scale', () => {
    // Both are within their own bounds of the truth, so they are within the sum of the bounds.
    const j0 = 2 ** 24 - 40000; // crosses the 2^24 split boundary and several flush boundaries
    const n = 200000;
    const dd = ddPairSum(j0, n);
    const big = bigintPairSum(j0, n, 103);
    const diff = dd - big;
    expect(diff >= -2n * BigInt(n) - BigInt(n) && diff <= 2n * BigInt(n), `diff ${diff}`).to.equal(true);
  });
});
