import { expect } from 'chai';
import { PiAccumulator } from '../../src/pi/accumulator';
import { scaleFor } from '../../src/pi/precision';
import { BLOCK_TERMS, boundaryAtOrAbove, checkRange, GROUP_TERMS, GROUPED_FROM, MAX_TERMS } from '../../src/pi/range';
import { RangeSum, sumRange } from '../../src/pi/range-sum';
import { seededRandom, shuffle } from '../support/random';

/** Random ranges tiling [from, to), cut at random boundaries (32 terms apart, then groups). */
function randomSplit(from: number, to: number, rnd: () => number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  let start = from;
  while (start < to) {
    const unit = start < GROUPED_FROM ? BLOCK_TERMS : GROUP_TERMS;
    const end = Math.min(to, boundaryAtOrAbove(start + (1 + Math.floor(rnd() * 40)) * unit));
    out.push({ start, count: end - start });
    start = end;
  }
  return out;
}

describe('exact merging of ranges', () => {
  for (const digits of [20, 60]) {
    it(`any split of [0, N) merged in any order gives the identical sum (P=${digits})`, () => {
      const scale = scaleFor(digits);
      const total = 64 * 1500;
      const whole = sumRange({ start: 0, count: total }, scale);
      for (let seed = 1; seed <= 12; seed++) {
        const rnd = seededRandom(seed);
        const parts = shuffle(randomSplit(0, total, rnd).map((r) => sumRange(r, scale)), rnd);
        const acc = new PiAccumulator(scale.bits, scale.kernel);
        for (const p of parts) expect(acc.add(p)).to.equal('added');
        expect(acc.prefixEnd).to.equal(total);
        expect(acc.prefixValue, `seed ${seed}`).to.equal(whole.value);
        expect(acc.prefixErrUnits).to.equal(whole.errUnits);
      }
    });
  }

  for (const digits of [20, 1000]) {
    it(`any split across the start of the groups adds up to the identical sum (P=${digits})`, () => {
      const scale = scaleFor(digits);
      const from = GROUPED_FROM - 50 * BLOCK_TERMS;
      const to = GROUPED_FROM + 120 * GROUP_TERMS;
      const whole = sumRange({ start: from, count: to - from }, scale);
      for (let seed = 1; seed <= 6; seed++) {
        const rnd = seededRandom(seed);
        const parts = shuffle(randomSplit(from, to, rnd), rnd).map((r) => sumRange(r, scale));
        expect(parts.length).to.be.above(3);
        expect(parts.reduce((s, p) => s + p.value, 0n), `seed ${seed}`).to.equal(whole.value);
        expect(parts.reduce((s, p) => s + p.errUnits, 0n)).to.equal(whole.errUnits);
      }
    });
  }

  it('counts a duplicate once and flags a disagreeing re-run', () => {
    const scale = scaleFor(20);
    const acc = new PiAccumulator(scale.bits, scale.kernel);
    const r0 = sumRange({ start: 0, count: 640 }, scale);
    const r1 = sumRange({ start: 640, count: 640 }, scale);
    expect(acc.add(r1)).to.equal('added');
    expect(acc.add(r1)).to.equal('duplicate');
    expect(acc.prefixEnd).to.equal(0);
    expect(acc.termsComputed).to.equal(640);
    expect(acc.add(r0)).to.equal('added');
    expect(acc.add(r0)).to.equal('duplicate');
    expect(acc.add(r1)).to.equal('duplicate');
    expect(acc.prefixEnd).to.equal(1280);
    expect(acc.prefixValue).to.equal(r0.value + r1.value);
    const tampered: RangeSum = { ...r1, value: r1.value + 1n };
    expect(acc.add(tampered)).to.equal('conflict');
    expect(acc.add({ ...sumRange({ start: 1280, count: 64 }, scale), bits: 99 })).to.equal('conflict');
    // A range that straddles finished work is refused, not half-counted.
    expect(acc.add(sumRange({ start: 1216, count: 128 }, scale))).to.equal('overlap');
    expect(acc.prefixValue).to.equal(r0.value + r1.value);
  });

  it('restores from its stored form to the same state', () => {
    const scale = scaleFor(20);
    const acc = new PiAccumulator(scale.bits, scale.kernel);
    acc.add(sumRange({ start: 0, count: 640 }, scale));
    acc.add(sumRange({ start: 1280, count: 64 }, scale));
    const back = PiAccumulator.restore({
      bits: acc.bits, kernel: acc.kernel, prefixEnd: acc.prefixEnd, prefixValue: acc.prefixValue,
      prefixErrUnits: acc.prefixErrUnits, ahead: acc.aheadRanges(),
    });
    expect(back.prefixEnd).to.equal(640);
    expect(back.termsComputed).to.equal(704);
    expect(back.add(sumRange({ start: 640, count: 640 }, scale))).to.equal('added');
    expect(back.prefixEnd).to.equal(1344);
    expect(back.add(sumRange({ start: 0, count: 640 }, scale))).to.equal('duplicate');
  });

  it('rejects unaligned and out-of-bounds ranges with a clear message', () => {
    expect(() => checkRange({ start: 3, count: 64 })).to.throw(/aligned/);
    expect(() => checkRange({ start: 0, count: 0 })).to.throw(/count/);
    expect(() => checkRange({ start: -64, count: 64 })).to.throw(/start/);
    expect(() => checkRange({ start: MAX_TERMS, count: GROUP_TERMS })).to.throw(/exceeds/);
    // From GROUPED_FROM on, boundaries are whole groups: a range may not cut one.
    expect(() => checkRange({ start: GROUPED_FROM - 32, count: 32 })).to.not.throw();
    expect(() => checkRange({ start: GROUPED_FROM - 32, count: 64 })).to.throw(/16384 terms/);
    expect(() => checkRange({ start: GROUPED_FROM, count: GROUP_TERMS - 32 })).to.throw(/aligned/);
    expect(() => checkRange({ start: GROUPED_FROM + 32, count: GROUP_TERMS })).to.throw(/aligned/);
    expect(() => checkRange({ start: GROUPED_FROM, count: GROUP_TERMS })).to.not.throw();
    expect(() => scaleFor(5)).to.throw(/precision 5/);
  });
});
