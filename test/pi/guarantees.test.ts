// Two of the README's promises checked where a plausible bug would break them silently: the
// certified interval is widened by the accumulated rounding bound (a result may be off by that
// much either way, and π must still lie inside), and a second, different result for a range that
// waits beyond the prefix is a conflict, never a harmless duplicate.
import { expect } from 'chai';
import { MemoryLogger } from '../../src/common/logger';
import { encodeResult } from '../../src/executor/task-codec';
import { Ledger } from '../../src/framework/ledger';
import { PiFramework } from '../../src/framework/pi-framework';
import { PiAccumulator } from '../../src/pi/accumulator';
import { certify, piInterval } from '../../src/pi/certify';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import { machinPiScaled, referencePi } from '../support/reference-pi';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCALE = scaleFor(20);

/** π·2^bits, from Machin's formula (independent of the code under test). */
function piUnits(bits: number): bigint {
  return (machinPiScaled(80) << BigInt(bits)) / 10n ** 80n;
}

/** S_N·2^bits to far better than a unit: the sum at 60 more bits, shifted down. */
function partialSumUnits(n: number, bits: number): bigint {
  const fine = scaleFor(40);
  const s = sumRange({ start: 0, count: n }, fine);
  return s.value >> BigInt(fine.bits - bits);
}

describe('certified digits: the interval is widened by the rounding bound', () => {
  it('moves each end of the interval out by exactly the error bound', () => {
    for (const [n, e] of [[992, 5n], [4096, 1n << 40n], [100_032, 123_456_789n]] as const) {
      const v = partialSumUnits(n, SCALE.bits);
      const tight = piInterval(n, v, 0n, SCALE.bits);
      const wide = piInterval(n, v, e, SCALE.bits);
      expect(wide.lo).to.equal(tight.lo - e);
      expect(wide.hi).to.equal(tight.hi + e);
    }
  });

  it('keeps π inside for a sum off by its whole bound in either direction, and certifies only true digits', () => {
    const pi = piUnits(SCALE.bits);
    const truth = referencePi(40);
    for (const n of [32, 1024, 65_536, 1_048_576]) {
      const exact = partialSumUnits(n, SCALE.bits);
      const one = 1n << BigInt(SCALE.bits);
      // Bounds from a fraction of the tail interval's width (about 1/N²) to many times it: the
      // larger ones move an unwidened interval clean off π.
      const width = one / BigInt(n) / BigInt(n);
      for (const e of [1n, width / 8n, width, 4n * width, 64n * width]) {
        for (const value of [exact - e, exact + e]) {
          const c = certify(n, value, e, SCALE.bits);
          expect(c.lo <= pi && pi <= c.hi, `N=${n}, error ${e}: π outside [lo, hi]`).to.equal(true);
          expect(truth.startsWith(c.certified), `N=${n}, error ${e}: certified ${c.certified}`).to.equal(true);
        }
      }
    }
  });
});

describe('a conflicting duplicate of a range beyond the prefix', () => {
  const ahead = { start: 64, count: 64 };

  it('is a conflict in the accumulator when its value differs (another length is another split: an overlap)', () => {
    const acc = new PiAccumulator(SCALE.bits, SCALE.kernel);
    const good = sumRange(ahead, SCALE);
    expect(acc.add(good)).to.equal('added');
    expect(acc.prefixEnd).to.equal(0); // [0, 64) is missing: the range waits
    expect(acc.add({ ...good })).to.equal('duplicate');
    expect(acc.add({ ...good, value: good.value + 1n })).to.equal('conflict');
    // A requeued range re-dealt in other sizes: not comparable, so no disagreement (chaos soak).
    expect(acc.add({ ...sumRange({ start: 64, count: 32 }, SCALE) })).to.equal('overlap');
    expect(acc.add({ ...good, bits: SCALE.bits + 1 })).to.equal('conflict');
    // The first result stands.
    expect(acc.add(sumRange({ start: 0, count: 64 }, SCALE))).to.equal('added');
    expect(acc.prefixEnd).to.equal(128);
    expect(acc.prefixValue).to.equal(sumRange({ start: 0, count: 128 }, SCALE).value);
  });

  it('is reported by the ledger and the framework as a disagreement, and not counted', async () => {
    const ledger = new Ledger(SCALE, 1024);
    const good = sumRange(ahead, SCALE);
    expect(ledger.finish('t1', good).outcome).to.equal('merged');
    expect(ledger.finish('t2', { ...good, value: good.value + 7n }).outcome).to.equal('conflict');

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-conflict-'));
    try {
      const logger = new MemoryLogger();
      const fw = await PiFramework.open({ scale: SCALE, stateDir: dir, logger, targetTaskSeconds: 1, maxTerms: 1024, defaultRate: 64 });
      const [, b] = fw.plan('a1', 2);
      expect(b.task).to.include(ahead);
      const data = (value: bigint): Uint8Array => encodeResult({ ...good, value, rangeId: '64+64', computeSeconds: 0.01 });
      await fw.onUpdate({ taskId: b.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: data(good.value) });
      await fw.onUpdate({ taskId: 'pi.64.64.0.other', state: 'TASK_FINISHED', agentId: 'a2', data: data(good.value + 7n) });
      expect(logger.has('error', /task pi\.64\.64\.0\.other on agent a2 returned a result for 64\+64 that disagrees with the one already counted; ignored/)).to.equal(true);
      expect(fw.ledger.acc.aheadRanges().map((r) => r.value)).to.deep.equal([good.value]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
