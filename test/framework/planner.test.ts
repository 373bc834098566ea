import { expect } from 'chai';
import { Planner } from '../../src/framework/planner';

describe('planner', () => {
  it('sizes tasks to the target duration from the measured rate, in whole blocks', () => {
    const p = new Planner(10, 1e6);
    p.observe('fast', 50e6, 1); // 50 M terms/s
    const n = p.termsFor('fast');
    expect(n % 32).to.equal(0);
    expect(n).to.be.closeTo(500e6, 64);
  });

  it('sizes an unmeasured agent at the default rate, then at the slowest known rate', () => {
    const p = new Planner(10, 1e6);
    expect(p.termsFor('new')).to.be.closeTo(10e6, 32); // 10 s at the default rate
    p.observe('slow', 5e6, 1);
    p.observe('fast', 80e6, 1);
    expect(p.termsFor('other')).to.be.closeTo(50e6, 32); // 10 s at 5 M terms/s
  });

  it('smooths one slow measurement instead of following it', () => {
    const p = new Planner(10, 1e6);
    p.observe('a', 10e6, 1);
    p.observe('a', 10e6, 4); // a task slowed 4× by a neighbour
    expect(p.rate('a')).to.be.closeTo(7.75e6, 1);
  });
});
