import { expect } from 'chai';
import { measureWorkRate } from '../../src/framework/calibrate';
import { Planner } from '../../src/framework/planner';
import { rangeCost, termsForCost } from '../../src/pi/cost';
import { scaleFor } from '../../src/pi/precision';
import { GROUPED_FROM, GROUP_TERMS, rangeEnd } from '../../src/pi/range';

const scale = scaleFor(32);
/** Term 2^33 lies in the groups of index bit length 20 (A of 35 bits, A² wider than a word). */
const DEEP = 2 ** 33;

describe('planner', () => {
  it('sizes tasks to the target duration from the measured rate, in whole blocks', () => {
    const p = new Planner(10, 1e6, scale);
    p.observe('fast', { start: DEEP, count: 2 ** 28 }, 1);
    const n = p.termsFor('fast', DEEP + 2 ** 28);
    expect(n % 32).to.equal(0);
    expect(n).to.be.closeTo(10 * 2 ** 28, 64); // same band: same work per term
  });

  it('sizes by work, not terms: a task where terms cost more holds fewer of them', () => {
    const p = new Planner(10, 1e6, scale);
    // Measured among the first groups, where A² fits a word and levels are many …
    const measured = { start: GROUPED_FROM, count: 64 * GROUP_TERMS };
    p.observe('a', measured, 1);
    // … a task from anywhere is worth 10 s of that work, whatever its terms cost there.
    for (const start of [0, GROUPED_FROM, 2 ** 30, DEEP, 2 ** 45]) {
      const n = p.termsFor('a', start);
      const work = rangeCost({ start, count: n }, scale);
      expect(work / rangeCost(measured, scale), `from ${start}`).to.be.closeTo(10, 0.01);
    }
    // The pairs at the start cost more per term than any group, and the groups get cheaper.
    const perTerm = (start: number): number => rangeCost({ start, count: GROUP_TERMS }, scale) / GROUP_TERMS;
    expect(perTerm(0)).to.be.above(perTerm(GROUPED_FROM));
    expect(perTerm(2 ** 40)).to.be.below(perTerm(DEEP));
    // Above 2000 digits every term is a pair, dearer once 4j+3 outgrows 32 bits (two-word divisors).
    const wide = scaleFor(3000);
    const pairPerTerm = (start: number): number => rangeCost({ start, count: GROUP_TERMS }, wide) / GROUP_TERMS;
    expect(pairPerTerm(2 ** 33)).to.be.above(pairPerTerm(2 ** 30));
    expect(pairPerTerm(2 ** 45)).to.equal(pairPerTerm(2 ** 33));
  });

  it('sizes an unmeasured agent at the default rate, then at the slowest known rate', () => {
    const p = new Planner(10, 1e6, scale);
    expect(p.termsFor('new', DEEP)).to.be.closeTo(10e6, 32); // 10 s at the default rate
    p.observe('slow', { start: DEEP, count: 5e6 }, 1);
    p.observe('fast', { start: DEEP, count: 80e6 }, 1);
    expect(p.termsFor('other', DEEP)).to.be.closeTo(50e6, 32); // 10 s at the slow agent's rate
  });

  it('smooths one slow measurement instead of following it', () => {
    const p = new Planner(10, 1e6, scale);
    const r = { start: DEEP, count: 10e6 };
    p.observe('a', r, 1);
    p.observe('a', r, 4); // a task slowed 4× by a neighbour
    expect(p.rate('a')! / rangeCost(r, scale)).to.be.closeTo(0.775, 1e-9);
  });

  it('the cost model adds up over splits and inverts exactly', () => {
    for (const s of [scale, scaleFor(3000)]) {
      for (const [start, count] of [[0, 2 ** 36], [GROUPED_FROM - 64, 2 ** 31], [2 ** 33 + GROUP_TERMS, 2 ** 40]]) {
        const cut = start + Math.floor(count / 3);
        const whole = rangeCost({ start, count }, s);
        const parts = rangeCost({ start, count: cut - start }, s) + rangeCost({ start: cut, count: start + count - cut }, s);
        expect(parts / whole).to.be.closeTo(1, 1e-12);
        expect(termsForCost(start, whole, s) / count).to.be.closeTo(1, 1e-9);
      }
    }
  });
  it('takes no measurement from a range computed in no time, in negative time, or of no terms', () => {
    const p = new Planner(10, 1e6, scale);
    p.observe('a', { start: DEEP, count: 2 ** 20 }, 0);
    p.observe('a', { start: DEEP, count: 2 ** 20 }, -1);
    p.observe('a', { start: DEEP, count: 2 ** 20 }, NaN);
    p.observe('a', { start: DEEP, count: 0 }, 1);
    expect(p.rate('a')).to.equal(undefined);
    expect(p.termsFor('a', DEEP)).to.be.closeTo(10e6, 32); // still the default rate
  });

  it('predicts a range\'s seconds from the rate it sizes by: measured, then slowest known, then default', () => {
    const r = { start: DEEP, count: 2 ** 24 };
    const work = rangeCost(r, scale);
    const p = new Planner(10, 1e6, scale, 2 ** 40, work / 8);
    expect(p.secondsFor('new', r), 'default work rate').to.be.closeTo(8, 1e-9);
    expect(p.termsFor('new', DEEP, 8)).to.be.closeTo(r.count, 32);
    p.observe('a', r, 2);
    expect(p.secondsFor('a', r), 'measured').to.be.closeTo(2, 1e-9);
    expect(p.termsFor('a', DEEP, 2)).to.be.closeTo(r.count, 32);
    expect(p.secondsFor('new', r), 'slowest known beats the default').to.be.closeTo(2, 1e-9);
    const q = new Planner(10, 1e6, scale);
    expect(q.secondsFor('new', r), 'terms at the default rate').to.equal(r.count / 1e6);
  });
  describe('the default work rate measured on this machine', () => {
    const from = 2 ** 40;
    const units = (...terms: number[]): number => terms.reduce((s, n) => s + rangeCost({ start: from, count: rangeEnd(from, n) - from }, scale), 0);
    /** A clock that reads the given values in turn. */
    const script = (...reads: number[]) => () => reads.shift()!;

    it('stops as soon as the budget is spent', () => {
      // Reads: t0, start, then per round the elapsed time and the overall check.
      const rate = measureWorkRate(scale, 40, script(0, 0, 40, 40, 80, 80));
      expect(rate).to.be.closeTo(units(1 << 16) / 0.04, 1e-6);
    });

    it('gives up only past twenty budgets from the first reading', () => {
      // The warm-up took exactly twenty budgets: not past them, so a second round runs.
      const rate = measureWorkRate(scale, 40, script(1000, 1800, 1810, 1800, 1820, 1801));
      expect(rate).to.be.closeTo(units(1 << 16, 1 << 17) / 0.02, 1e-6);
    });

    it('reads a millisecond clock by default', () => {
      // A budget of 5 ms: a real measurement (a Pi core sums tens of thousands of units a second).
      const rate = measureWorkRate(scale, 5);
      expect(rate).to.be.within(1000, 1e9);
    });
  });
});
