// Edges of src/pi that the broad property tests pass over: the accumulator's overlap and memory
// rules, the certified interval at the first terms and at odd N, what a certification says when
// the interval allows no digit, the limits of precision and of the group kernel, and the error
// messages a peer's bad range produces.
import { expect } from 'chai';
import { PiAccumulator } from '../../src/pi/accumulator';
import { certify, piInterval } from '../../src/pi/certify';
import { groupSum, hornerShape } from '../../src/pi/group-kernel';
import { rangeCost, termsForCost } from '../../src/pi/cost';
import { GROUPED_MAX_DIGITS, MAX_DIGITS, MIN_DIGITS, scaleFor } from '../../src/pi/precision';
import { checkRange, GROUP_TERMS, GROUPED_FROM, GROUPED_FROM_GROUP, MAX_TERMS } from '../../src/pi/range';
import { kernelErrorUnits } from '../../src/pi/range-sum';
import { machinPiScaled, referencePi } from '../support/reference-pi';

const BITS = 80;
const ONE = 1n << BigInt(BITS);

/** Σ_{k<n} 4(−1)^k/(2k+1) in units of 2^-BITS, each term floored: low by less than n units. */
function exactishSum(n: number): bigint {
  let s = 0n;
  for (let k = 0; k < n; k++) {
    const t = (4n * ONE) / BigInt(2 * k + 1);
    s += k % 2 === 0 ? t : -t - 1n; // floor of a negative term
  }
  return s;
}

describe('src/pi edges', () => {
  describe('accumulator', () => {
    const r = (start: number, count: number, value = 1n) => ({ start, count, value, errUnits: 1n });

    it('calls a range that overlaps one waiting beyond the prefix an overlap, and an adjacent one added', () => {
      const acc = new PiAccumulator(BITS, 'grouped');
      expect(acc.add(r(64, 64))).to.equal('added');
      expect(acc.overlapsDone(96, 64)).to.equal(true);
      expect(acc.overlapsDone(32, 64)).to.equal(true);
      expect(acc.overlapsDone(128, 32)).to.equal(false);
      expect(acc.overlapsDone(32, 32)).to.equal(false);
      expect(acc.add(r(96, 64))).to.equal('overlap');
      expect(acc.add(r(32, 64))).to.equal('overlap');
      expect(acc.add(r(128, 32))).to.equal('added');
      expect(acc.add(r(32, 32))).to.equal('added');
      expect(acc.termsComputed).to.equal(128);
      expect(acc.prefixEnd).to.equal(0);
      // Filling the gap folds all of it; nothing is counted beyond the prefix any more.
      expect(acc.add(r(0, 32))).to.equal('added');
      expect(acc.prefixEnd).to.equal(160);
      expect(acc.termsComputed).to.equal(160);
      expect(acc.aheadRanges()).to.deep.equal([]);
    });

    it('lists the ranges waiting beyond the prefix in order of their start', () => {
      const acc = new PiAccumulator(BITS, 'grouped');
      acc.add(r(192, 32));
      acc.add(r(64, 32));
      acc.add(r(128, 32));
      expect(acc.aheadRanges().map((x) => x.start)).to.deep.equal([64, 128, 192]);
    });

    it('refuses a result of another kernel as a conflict', () => {
      const acc = new PiAccumulator(BITS, 'grouped');
      expect(acc.add({ ...r(0, 32), bits: BITS, kernel: 'pairs' })).to.equal('conflict');
      expect(acc.add({ ...r(0, 32), bits: BITS, kernel: 'grouped' })).to.equal('added');
    });

    it('after a restore, a range ending exactly at the prefix is a duplicate (nothing left to compare it with)', () => {
      const acc = PiAccumulator.restore({ bits: BITS, kernel: 'grouped', prefixEnd: 128, prefixValue: 5n, prefixErrUnits: 2n, ahead: [] });
      expect(acc.add(r(64, 64, 99n))).to.equal('duplicate');
      expect(acc.add(r(96, 64))).to.equal('overlap');
      expect(acc.prefixValue).to.equal(5n);
    });

    it('remembers the last 4096 ranges folded into the prefix to check a late duplicate, and forgets older ones', () => {
      const acc = new PiAccumulator(BITS, 'grouped');
      for (let i = 0; i < 4096; i++) acc.add(r(32 * i, 32, BigInt(i)));
      expect(acc.add(r(0, 32, 12345n))).to.equal('conflict'); // still remembered
      acc.add(r(32 * 4096, 32, 4096n));
      expect(acc.add(r(0, 32, 12345n))).to.equal('duplicate'); // forgotten: counted already, cannot re-check
      expect(acc.add(r(32, 32, 12345n))).to.equal('conflict');
    });
  });

  describe('certified interval', () => {
    it('before any term: no estimate, the interval [0, 4]', () => {
      expect(piInterval(0, 0n, 0n, BITS)).to.deep.equal({ lo: 0n, hi: 4n * ONE });
      expect(certify(0, 0n, 0n, BITS)).to.deep.equal({ terms: 0, certified: '', uncertain: '', decimals: -1, lo: 0n, hi: 4n * ONE });
    });

    it('after one term: [4 − 2, 4 − 2/3], no digit certain, the midpoint 8/3 shown as uncertain', () => {
      const i = piInterval(1, 4n * ONE, 0n, BITS);
      expect(i.lo).to.equal(2n * ONE);
      expect(i.hi).to.equal(4n * ONE - (2n * ONE) / 3n);
      const c = certify(1, 4n * ONE, 0n, BITS);
      expect(c).to.include({ certified: '', decimals: -1, uncertain: '2.66666' });
    });

    it('holds π for odd and even N alike, and certifies only true digits', () => {
      const pi = (machinPiScaled(40) << BigInt(BITS)) / 10n ** 40n;
      const truth = referencePi(30);
      for (const n of [1, 2, 3, 4, 5, 7, 8, 31, 32, 33, 100, 101]) {
        const value = exactishSum(n);
        const c = certify(n, value, BigInt(n), BITS);
        expect(c.lo <= pi && pi <= c.hi, `N=${n}`).to.equal(true);
        expect(truth.startsWith(c.certified), `N=${n}: ${c.certified}`).to.equal(true);
      }
    });

    it('says which digits are certain and which follow from the midpoint', () => {
      // N=2: π in [8/3 + 2/5, 8/3 + 2/3] = [3.0666…, 3.3333…]: "3" certain, midpoint 3.2.
      const two = certify(2, exactishSum(2), 2n, BITS);
      expect(two.certified).to.equal('3');
      expect(two.decimals).to.equal(0);
      expect(two.uncertain).to.match(/^(19999|20000)$/);
      // N=8: [3.13…, 3.15…]: "3.1" certain.
      const eight = certify(8, exactishSum(8), 8n, BITS);
      expect(eight.certified).to.equal('3.1');
      expect(eight.decimals).to.equal(1);
      expect(eight.uncertain).to.have.length(5);
      // The uncertain digits continue the midpoint of the interval.
      const mid = ((eight.lo + eight.hi) / 2n * 10n ** 6n) >> BigInt(BITS);
      expect(`${eight.certified}${eight.uncertain}`).to.equal(`${mid.toString()[0]}.${mid.toString().slice(1)}`);
      expect(certify(8, exactishSum(8), 8n, BITS, 2).uncertain).to.have.length(2);
    });

    it('never certifies more decimals than the fixed point holds, even for an interval one unit wide', () => {
      const bits = 40;
      const one = 1n << BigInt(bits);
      const piApprox = (machinPiScaled(30) << BigInt(bits)) / 10n ** 30n;
      // A value whose interval [v, v+1] agrees on every decimal 2^-40 can show (12).
      let v = piApprox;
      const dec = (x: bigint): bigint => (x * 10n ** 12n) >> BigInt(bits);
      while (dec(v) !== dec(v + 1n)) v++;
      const c = certify(2 ** 50, v - (2n * one) / (2n * 2n ** 50n + 1n), 0n, bits);
      expect(c.decimals).to.equal(Math.floor(bits * Math.log10(2)));
      expect(c.certified).to.have.length(2 + 12);
    });
  });

  describe('the cost model (what the planner sizes ranges by)', () => {
    it('half a unit a pair below 2^21 terms, a group 2·(levels + 1) units (×1.5 once A² outgrows a word)', () => {
      const grouped = scaleFor(20);
      expect(rangeCost({ start: 0, count: 64 }, grouped)).to.equal(16);
      expect(rangeCost({ start: GROUPED_FROM - 64, count: 64 }, grouped)).to.equal(16);
      for (const g of [GROUPED_FROM_GROUP, 2 ** 20, 2 ** 30, MAX_TERMS / GROUP_TERMS - 1]) {
        const aBits = Math.floor(Math.log2(g)) + 1 + Math.log2(4 * 8192);
        const { levels, wide } = hornerShape(aBits, grouped.bits);
        expect(rangeCost({ start: g * GROUP_TERMS, count: GROUP_TERMS }, grouped), `group ${g}`).to.equal(2 * (levels + 1) * (wide ? 1.5 : 1));
      }
      expect(hornerShape(32, 100).wide).to.equal(false);
      expect(hornerShape(33, 100).wide).to.equal(true);
    });

    it('the pair kernel: half a unit a pair, three times that once 4j+3 passes 2^32', () => {
      const pairs = scaleFor(3000);
      expect(rangeCost({ start: 0, count: 64 }, pairs)).to.equal(16);
      expect(rangeCost({ start: 2 ** 31 - 32, count: 64 }, pairs)).to.equal(8 + 24);
      expect(rangeCost({ start: 2 ** 40, count: 64 }, pairs)).to.equal(48);
    });

    it('runs out at the end of the series', () => {
      const grouped = scaleFor(20);
      expect(termsForCost(MAX_TERMS - GROUP_TERMS, 1e30, grouped)).to.equal(GROUP_TERMS);
      expect(termsForCost(0, 16, grouped)).to.equal(64);
    });
  });

  describe('limits', () => {
    it('precision: 10..10000 digits, the group kernel up to 2000', () => {
      expect(MIN_DIGITS).to.equal(10);
      expect(MAX_DIGITS).to.equal(10000);
      expect(scaleFor(10000).kernel).to.equal('pairs');
      expect(scaleFor(GROUPED_MAX_DIGITS).kernel).to.equal('grouped');
      expect(scaleFor(GROUPED_MAX_DIGITS + 1).kernel).to.equal('pairs');
      for (const bad of [9, 10001, 20.5, NaN]) expect(() => scaleFor(bad), String(bad)).to.throw(/precision/);
    });

    it('the group kernel refuses groups before GROUPED_FROM_GROUP and non-integers', () => {
      expect(() => groupSum(GROUPED_FROM_GROUP - 1, 100)).to.throw(/too near the start/);
      expect(() => groupSum(GROUPED_FROM_GROUP + 0.5, 100)).to.throw(/too near the start/);
      expect(groupSum(GROUPED_FROM_GROUP, 100) > 0n).to.equal(true);
    });

    it('the pair kernel\'s bound is one unit per pair, wherever the range lies', () => {
      expect(kernelErrorUnits('pairs', { start: GROUPED_FROM * 2, count: 4 * GROUP_TERMS })).to.equal(BigInt(2 * GROUP_TERMS));
      expect(kernelErrorUnits('grouped', { start: GROUPED_FROM * 2, count: 4 * GROUP_TERMS })).to.equal(8n);
      expect(kernelErrorUnits('grouped', { start: GROUPED_FROM - 64, count: 64 + GROUP_TERMS })).to.equal(32n + 2n);
    });

    it('names the offending range in the errors of a bad one', () => {
      expect(() => checkRange({ start: MAX_TERMS, count: GROUP_TERMS })).to.throw(`range end ${MAX_TERMS + GROUP_TERMS} exceeds ${MAX_TERMS} terms`);
      expect(() => checkRange({ start: 32, count: 16 })).to.throw('range [32, 48) is not aligned');
      expect(() => checkRange({ start: -32, count: 32 })).to.throw('range start -32 is not a non-negative integer');
      expect(() => checkRange({ start: 0, count: 0 })).to.throw('range count 0 is not a positive integer');
    });
  });
});
