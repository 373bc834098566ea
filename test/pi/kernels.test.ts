import { expect } from 'chai';
import { bigintPairSum } from '../../src/pi/bigint-kernel';
import { groupSum } from '../../src/pi/group-kernel';
import { scaleFor } from '../../src/pi/precision';
import { GROUP_PAIRS, GROUP_TERMS, GROUPED_FROM, GROUPED_FROM_GROUP, MAX_TERMS } from '../../src/pi/range';
import { sumRange } from '../../src/pi/range-sum';
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

/** Extra bits of the pair-kernel reference: its 8192 floors cost < 8192·2^-24 < 0.0005 units. */
const REF_EXTRA = 24;

describe('pi kernels', () => {
  it('reference π from Machin agrees with decimal.js and the known digits', () => {
    expect(referencePi(1000).slice(0, 32)).to.equal('3.141592653589793238462643383279');
  });

  it('the pair kernel floors every pair: error in (−1, 0] units', () => {
    const bits = 200;
    for (const j of [0, 1, 2, 3, 999, 23726565, 23726566, 23726567, 2 ** 33 + 5, 2 ** 48 - 1, 2 ** 51 - 1]) {
      const x = bigintPairSum(j, 1, bits);
      const err = scaledError(x, exactPair(j, bits));
      const den = exactPair(j, bits).den;
      expect(err <= 0n && err > -den, `pair ${j}`).to.equal(true);
    }
  });

  it('the pair kernel brackets the exact partial sum of the first 2000 terms', () => {
    const { num, den } = exactPartialSum(2000);
    const bits = 160;
    const x = bigintPairSum(0, 1000, bits);
    const exact = num << BigInt(bits); // S·2^bits·den
    expect(x * den <= exact && exact < (x + 1000n) * den).to.equal(true);
  });

  // The group kernel is a different method (a Taylor series about the group's centre, no division
  // per pair); the pair kernel 24 bits finer is a reference within 0.0005 units of the truth.
  const groups = [GROUPED_FROM_GROUP, GROUPED_FROM_GROUP + 1, 1000, 61035, 2 ** 20 + 3, 2 ** 30 + 1, MAX_TERMS / GROUP_TERMS - 1];
  for (const digits of [10, 20, 100, 1000, 2000]) {
    it(`a group is within 1.0001 units of the truth, from the first group to the last (P=${digits})`, () => {
      const { bits } = scaleFor(digits);
      for (const g of digits >= 1000 ? groups.filter((x) => x < 2 ** 25) : groups) {
        const value = groupSum(g, bits);
        const ref = bigintPairSum(g * GROUP_PAIRS, GROUP_PAIRS, bits + REF_EXTRA);
        const diff = Number(ref - (value << BigInt(REF_EXTRA))) / 2 ** REF_EXTRA;
        expect(Math.abs(diff), `group ${g}: off by ${diff} units`).to.be.below(1.0001 + 0.0005);
      }
    });
  }

  it('a group error is caught: a sum off by a unit in one pair fails the comparison', () => {
    // The check above is not vacuous: the reference distinguishes a single unit.
    const { bits } = scaleFor(100);
    const g = 5000;
    const value = groupSum(g, bits);
    const ref = bigintPairSum(g * GROUP_PAIRS, GROUP_PAIRS, bits + REF_EXTRA);
    const wrong = value + 2n;
    expect(Math.abs(Number(ref - (wrong << BigInt(REF_EXTRA))) / 2 ** REF_EXTRA)).to.be.above(1.0001 + 0.0005);
  });

  it('a range across the start of the groups agrees with the pair kernel within its bound', () => {
    const scale = scaleFor(50);
    const start = GROUPED_FROM - 64 * 32;
    const count = 64 * 32 + 20 * GROUP_TERMS;
    const s = sumRange({ start, count }, scale);
    expect(s.kernel).to.equal('grouped');
    const ref = bigintPairSum(start / 2, count / 2, scale.bits + REF_EXTRA);
    const diff = Number(ref - (s.value << BigInt(REF_EXTRA))) / 2 ** REF_EXTRA;
    // 1024 floored pairs (each low by < 1) and 20 groups (each within 1.0001).
    expect(diff).to.be.above(-20 * 1.0001);
    expect(diff).to.be.below(1024 + 20 * 1.0001 + 0.0005);
    // The stated bound: a unit per pair, two per group; it covers the error either way.
    expect(s.errUnits).to.equal(1024n + 2n * 20n);
    expect(Math.abs(diff)).to.be.below(Number(s.errUnits));
  });

  it('beyond GROUPED_MAX_DIGITS every range is summed pair by pair', () => {
    const scale = scaleFor(2001);
    expect(scale.kernel).to.equal('pairs');
    const s = sumRange({ start: GROUPED_FROM, count: GROUP_TERMS }, scale);
    expect(s.value).to.equal(bigintPairSum(GROUPED_FROM / 2, GROUP_PAIRS, scale.bits));
  });
});
