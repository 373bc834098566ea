import { expect } from 'chai';
import { certify, piInterval } from '../../src/pi/certify';
import { scaleFor } from '../../src/pi/precision';
import { boundaryAtOrAbove } from '../../src/pi/range';
import { sumRange } from '../../src/pi/range-sum';
import { referencePi, referencePiFixed } from '../support/reference-pi';

const REF = referencePi(1100);

function checkCertified(terms: number, digits: number): ReturnType<typeof certify> {
  const scale = scaleFor(digits);
  const s = sumRange({ start: 0, count: terms }, scale);
  const c = certify(terms, s.value, s.errUnits, scale.bits);
  // π itself lies in the interval…
  const { lo, hi } = piInterval(terms, s.value, s.errUnits, scale.bits);
  const pi = referencePiFixed(scale.bits);
  expect(lo <= pi && pi + 1n <= hi, `π inside the interval at N=${terms}`).to.equal(true);
  // …and every certified digit is a digit of π.
  expect(REF.startsWith(c.certified), `N=${terms}: certified ${c.certified}`).to.equal(true);
  return c;
}

describe('certified digits', () => {
  it('never include a wrong digit, for N from 64 to 4 million terms, at P = 20 and 50', () => {
    for (const digits of [20, 50]) {
      for (let terms = 64; terms <= 4_000_000; terms = boundaryAtOrAbove(Math.ceil((terms * 3.1) / 64) * 64)) {
        checkCertified(terms, digits);
      }
    }
  });

  it('the Borwein trap at N = 500,000: four wrong digits in the raw sum, none certified', () => {
    const scale = scaleFor(50);
    const s = sumRange({ start: 0, count: 500_000 }, scale);
    const raw = ((s.value * 10n ** 40n) >> BigInt(scale.bits)).toString();
    const truth = REF.replace('.', '').slice(0, 40);
    const wrong = [...raw.slice(0, 40)].map((d, i) => (d !== truth[i] ? i : -1)).filter((i) => i >= 0);
    expect(wrong).to.have.length(4); // the raw partial sum looks right and is not
    const c = checkCertified(500_000, 50);
    // The wrong digits are at decimal places 6, 17, 18 and 29: certification stops before the first.
    expect(wrong[0]).to.equal(6);
    expect(c.decimals).to.be.at.least(10); // the R_N bound certifies ~2·log10 N decimals
    expect(c.decimals).to.be.below(13);
  });

  it('certifies about twice log10 N decimals and marks the next digits as uncertain', () => {
    const c = checkCertified(1_000_000, 20);
    expect(c.decimals).to.be.within(10, 13);
    expect(c.uncertain).to.match(/^[0-9]{5}$/);
    // The uncertain digits come from the interval's midpoint: the first differs from the
    // truncation of at least one end of the interval, which is why it is not certified.
    const bits = BigInt(scaleFor(20).bits);
    const ends = [c.lo, c.hi].map((x) => ((x * 10n ** BigInt(c.decimals + 1)) >> bits).toString().slice(-1));
    expect(ends[0]).to.not.equal(ends[1]);
  });

  it('certifies nothing from too few terms rather than guess', () => {
    const c = certify(0, 0n, 0n, 103);
    expect(c.certified).to.equal('');
    expect(c.decimals).to.equal(-1);
    const few = checkCertified(64, 20);
    expect(few.decimals).to.be.at.most(3);
  });
});
