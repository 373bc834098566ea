// The framework's small parts on their own, where the end-to-end tests would let a wrong number
// pass unnoticed: the throughput window, the calibration loop, carving resources from an offer,
// the checkpoint writer's coalescing, and how a task's failure is classified.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { measureWorkRate } from '../../src/framework/calibrate';
import { CheckpointWriter, readIfExists, writeAtomic } from '../../src/framework/checkpoint';
import { exitCodeOf, isRangeBlameless } from '../../src/framework/mesos-backend';
import { canonicalJson, OfferPool, resourceKind } from '../../src/framework/offer-resources';
import { Throughput } from '../../src/framework/throughput';
import { rangeCost } from '../../src/pi/cost';
import { scaleFor } from '../../src/pi/precision';
import type { Resource, TaskStatus } from '../../src/mesos/types';

describe('framework parts', () => {
  describe('Throughput', () => {
    it('is terms per second from the oldest sample in the window up to now, falling when completions stop', () => {
      let t = 0;
      const tp = new Throughput(() => t, 30_000);
      expect(tp.rate()).to.equal(0);
      tp.record(0);
      expect(tp.rate()).to.equal(0); // one sample: no rate
      t = 10_000;
      tp.record(1000);
      expect(tp.rate()).to.equal(100);
      t = 20_000; // nothing finished for 10 s
      expect(tp.rate()).to.equal(50);
    });

    it('drops samples older than the window, keeping two at least', () => {
      let t = 0;
      const tp = new Throughput(() => t, 30_000);
      tp.record(0);
      t = 10_000; tp.record(100);
      t = 40_000; tp.record(400); // the sample at 0 is 40 s old, the one at 10 s is 30 s old
      expect(tp.rate()).to.equal(300 / 30);
      t = 40_001; tp.record(400);
      expect(tp.rate()).to.be.closeTo(300 / 30.001, 1e-9);
      t = 100_000; tp.record(1000);
      expect(tp.rate()).to.be.closeTo(600 / 59.999, 1e-9);
    });

    it('gives 0, not Infinity, for samples taken at one instant', () => {
      const tp = new Throughput(() => 5, 30_000);
      tp.record(0);
      tp.record(10);
      expect(tp.rate()).to.equal(0);
    });
  });

  describe('measureWorkRate', () => {
    it('divides the units summed by the time the timed loop took, doubling the range each round', () => {
      const scale = scaleFor(20);
      let t = 0;
      const reads: number[] = [];
      // Each read of the clock moves it 10 ms: the loop stops once 40 ms have passed since start.
      const rate = measureWorkRate(scale, 40, () => { reads.push(t); t += 10; return reads[reads.length - 1]; });
      // Reads: t0, start, then two per round (elapsed, the overall check): rounds end at 10, 30, 50 ms after start.
      const from = 2 ** 40;
      const units = [1 << 16, 1 << 17, 1 << 18].reduce((s, n) => s + rangeCost({ start: from, count: n }, scale), 0);
      expect(rate).to.be.closeTo(units / 0.05, 1e-6);
    });

    it('gives up after twenty budgets even when the clock says the loop is fast', () => {
      let t = 0;
      let calls = 0;
      // The start reading is far in the future: elapsed stays negative, only the guard ends the loop.
      const rate = measureWorkRate(scaleFor(20), 1, () => { calls++; t += 5; return calls === 2 ? 1e9 : t; });
      expect(calls).to.be.below(20);
      expect(rate).to.be.greaterThan(0);
    });
  });

  describe('OfferPool', () => {
    const r = (name: string, value: number, role?: string): Resource => ({ name, type: 'SCALAR', scalar: { value }, ...(role ? { role } : {}) });

    it('takes all or nothing, from the role\'s reservations first, and gives back exactly', () => {
      const pool = new OfferPool([r('cpus', 1), r('cpus', 0.5, 'pi'), r('mem', 100), r('mem', 50, 'other'), r('gpus', 1)], 'pi');
      expect(pool.available('cpus')).to.equal(1.5);
      expect(pool.available('mem')).to.equal(150);
      const a = pool.take({ cpus: 0.7, mem: 120 })!;
      expect(a.filter((x) => x.name === 'cpus').map((x) => [x.role, x.scalar!.value])).to.deep.equal([['pi', 0.5], [undefined, 0.2]]);
      // Another role's reservation before the shared pool: it was offered to us.
      expect(a.filter((x) => x.name === 'mem').map((x) => [x.role, x.scalar!.value])).to.deep.equal([['other', 50], [undefined, 70]]);
      expect(pool.available('cpus')).to.equal(0.8);
      expect(pool.take({ cpus: 0.5, mem: 40 })).to.equal(null); // 30 MB left
      expect(pool.available('cpus')).to.equal(0.8); // nothing taken by the refused request
      pool.giveBack(a);
      expect(pool.available('cpus')).to.equal(1.5);
      expect(pool.available('mem')).to.equal(150);
    });

    it('takes from one entry only when asked to, and keeps amounts to three decimals', () => {
      const pool = new OfferPool([r('cpus', 0.6), r('cpus', 0.6), r('mem', 64)], '*');
      expect(pool.take({ cpus: 1 }, true)).to.equal(null);
      const one = pool.take({ cpus: 0.3333333 }, true)!;
      expect(one).to.deep.equal([r('cpus', 0.333)]);
      expect(pool.available('cpus')).to.equal(0.867);
      // Within half a thousandth counts as enough (Mesos's own rounding).
      expect(pool.take({ cpus: 0.8674 })).to.not.equal(null);
    });

    it('leaves revocable, shared, disk and resource-provider entries alone', () => {
      const pool = new OfferPool([
        { ...r('cpus', 4), revocable: {} }, { ...r('cpus', 4), shared: {} }, { ...r('cpus', 4), provider_id: { value: 'p' } },
        { ...r('disk', 100), disk: {} }, { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }] } },
      ] as Resource[], '*');
      expect(pool.available('cpus')).to.equal(0);
      expect(pool.available('disk')).to.equal(0);
      expect(pool.kinds('cpus')).to.deep.equal([]);
    });

    it('lists the distinct kinds of an entry name, and tells kinds apart by everything but the amount', () => {
      const pool = new OfferPool([r('cpus', 1), r('cpus', 2), r('cpus', 1, 'pi')], 'pi');
      expect(pool.kinds('cpus').map((k) => k.role ?? '*')).to.deep.equal(['pi', '*']);
      expect(resourceKind(r('cpus', 1))).to.equal(resourceKind(r('cpus', 7)));
      expect(resourceKind(r('cpus', 1))).to.not.equal(resourceKind(r('cpus', 1, 'pi')));
      expect(canonicalJson({ b: 1, a: [Buffer.from('x'), { d: undefined, c: 'z' }] })).to.equal('{"a":["eA==",{"c":"z"}],"b":1}');
    });
  });

  describe('checkpoint writing', () => {
    let dir: string;
    beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-ckpt-')); });
    afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

    it('writes atomically into a directory it creates (mode 0700, file 0600), leaving no temp file', async () => {
      const file = path.join(dir, 'sub', 'state.json');
      await writeAtomic(file, 'one');
      await writeAtomic(file, 'two');
      expect(await fs.readFile(file, 'utf8')).to.equal('two');
      expect((await fs.stat(path.join(dir, 'sub'))).mode & 0o777).to.equal(0o700);
      expect((await fs.stat(file)).mode & 0o777).to.equal(0o600);
      expect(await fs.readdir(path.join(dir, 'sub'))).to.deep.equal(['state.json']);
      expect(await readIfExists(path.join(dir, 'none'))).to.equal(undefined);
      let err: unknown;
      await readIfExists(path.join(dir, 'sub')).catch((e) => { err = e; });
      expect((err as NodeJS.ErrnoException).code).to.equal('EISDIR');
    });

    it('folds saves asked for during a write into one more write of the latest state', async () => {
      const file = path.join(dir, 'state.json');
      let state = 0;
      let renders = 0;
      const w = new CheckpointWriter(file, () => { renders++; return String(state); });
      state = 1;
      const first = w.save();
      state = 2;
      const second = w.save();
      state = 3;
      const third = w.save();
      expect(second).to.equal(third); // one follow-up for both
      await first;
      await Promise.all([second, third]);
      expect(await fs.readFile(file, 'utf8')).to.equal('3');
      expect(renders).to.equal(2);
      await w.save();
      expect(renders).to.equal(3);
    });

    it('fails the saves of a write that failed, and writes again on the next', async () => {
      const file = path.join(dir, 'state.json');
      await fs.writeFile(path.join(dir, 'blocker'), '');
      const bad = new CheckpointWriter(path.join(dir, 'blocker', 'state.json'), () => 'x');
      let failed = false;
      await bad.save().catch(() => { failed = true; });
      expect(failed).to.equal(true);
      const w = new CheckpointWriter(file, () => 'ok');
      await w.save();
      expect(await fs.readFile(file, 'utf8')).to.equal('ok');
    });
  });

  describe('classifying a task\'s end', () => {
    const status = (reason: string, message?: string): TaskStatus => ({ task_id: { value: 't' }, state: 'TASK_FAILED', reason, message } as TaskStatus);

    it('reads a wait status as Mesos reports it', () => {
      expect(exitCodeOf(127 << 8)).to.equal(127);
      expect(exitCodeOf(0)).to.equal(0);
      expect(exitCodeOf(9)).to.equal(null); // killed by SIGKILL
      expect(exitCodeOf(0x86)).to.equal(null); // SIGABRT with a core dump
      expect(exitCodeOf(0x1ff00)).to.equal(0xff);
    });

    it('blames no range for a launch that met a dead executor, a gone offer, or a race for resources', () => {
      expect(isRangeBlameless(status('REASON_EXECUTOR_TERMINATED'), false)).to.equal(true);
      expect(isRangeBlameless(status('REASON_INVALID_OFFERS'), false)).to.equal(true);
      expect(isRangeBlameless(status('REASON_TASK_INVALID', 'Total resources cpus:1 required by task and its executor is more than available cpus:0.5'), false)).to.equal(true);
      expect(isRangeBlameless(status('REASON_TASK_INVALID', 'Task uses invalid resources'), false)).to.equal(false);
      expect(isRangeBlameless(status('REASON_TASK_INVALID'), false)).to.equal(false);
      expect(isRangeBlameless(status('REASON_COMMAND_EXECUTOR_FAILED'), false)).to.equal(false);
      // Once it ran, its failure is the range's.
      expect(isRangeBlameless(status('REASON_EXECUTOR_TERMINATED'), true)).to.equal(false);
    });
  });
});
