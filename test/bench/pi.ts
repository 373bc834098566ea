import * as os from 'os';
import { promises as fs } from 'fs';
import * as path from 'path';
import { silentLogger } from '../../src/common/logger';
import { LocalBackend } from '../../src/framework/local-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import { DEFAULT_PRECISION } from '../../src/daemon/config';
import { sumRange } from '../../src/pi/range-sum';
import { bigintPairSum } from '../../src/pi/bigint-kernel';
import { GROUP_TERMS } from '../../src/pi/range';
import { Worker } from 'worker_threads';

// Exact range sums against a plain float64 loop over the same terms, timed in the same process,
// and the local mode's efficiency. Figures are ratios: the machine's speed cancels out.

/** The baseline: the obvious float64 loop a reader would write, same terms, same order. */
function floatLoop(start: number, count: number): number {
  let s = 0;
  let sign = start % 2 === 0 ? 4 : -4;
  for (let k = start; k < start + count; k++) {
    s += sign / (2 * k + 1);
    sign = -sign;
  }
  return s;
}

function secondsOf(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The baseline's terms per timing: long enough (tens of ms) that its rate is not timer noise. */
const FLOAT_TERMS = 40_000_000;

/** Best of `reps` alternating runs of the baseline and the candidate. */
function ratio(count: number, start: number, candidate: () => unknown, reps = 3): { rate: number; floatRate: number } {
  let best = Infinity;
  let bestFloat = Infinity;
  for (let i = 0; i < reps; i++) {
    bestFloat = Math.min(bestFloat, secondsOf(() => floatLoop(start, FLOAT_TERMS)));
    best = Math.min(best, secondsOf(candidate));
  }
  return { rate: count / best, floatRate: FLOAT_TERMS / bestFloat };
}

export async function run(log: (line: string) => void): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const targets: Record<number, string> = { 20: '≥ 0.25', 50: '-', 100: '≥ 0.05', 1000: '≥ 0.01' };
  const row = (digits: number, kernel: string, count: number, start: number, f: () => unknown): void => {
    const { rate, floatRate } = ratio(count, start, f);
    log(`${String(digits).padStart(6)}  ${kernel.padEnd(7)}  ${(rate / 1e6).toFixed(1).padStart(10)}  ${(floatRate / 1e6).toFixed(0).padStart(17)}  ${(rate / floatRate).toFixed(3).padStart(7)}   ${targets[digits] ?? '-'}`);
  };
  const header = 'digits  kernel    M terms/s  float64 M terms/s    ratio   target';

  // Deep in a run: where a cluster spends nearly all of its time (a 2-core laptop passes 2^40
  // terms within two minutes; the series ends at 2^52).
  const start = 2 ** 40;
  log(`## exact range sums from term 2^40 vs a float64 loop over the same terms (one core, best of 3)`);
  log(header);
  for (const digits of [20, 50, 100, 1000, 2000]) {
    const scale = scaleFor(digits);
    sumRange({ start, count: GROUP_TERMS }, scale); // the shared power sums, built once per process
    const count = (quick ? 1 / 8 : 1) * (digits <= 50 ? 2 ** 31 : digits <= 100 ? 2 ** 30 : digits <= 1000 ? 2 ** 27 : 2 ** 25);
    row(digits, scale.kernel, count, start, () => sumRange({ start, count }, scale));
  }
  // The pair kernel on the same terms: what the groups replace.
  for (const digits of [20, 100, 1000]) {
    const { bits } = scaleFor(digits);
    const count = (quick ? 0.1 : 1) * (digits <= 100 ? 8_000_000 : 2_000_000);
    row(digits, 'pairs', count, start, () => bigintPairSum(start / 2, count / 2, bits));
  }

  // A run's start, in a fresh worker thread: the first 2^21 terms pair by pair, and the
  // power-sum table built on first use, which a task on a new executor pays once.
  const first = quick ? 2 ** 25 : 2 ** 27;
  log('');
  log(`## the first 2^${Math.log2(first)} terms of a run in a fresh thread (pairs below 2^21, table built), one pass`);
  log(header);
  for (const digits of [20, 100, 1000]) {
    const seconds = await freshThreadSeconds(digits, first);
    const floatRate = FLOAT_TERMS / Math.min(...[0, 1, 2].map(() => secondsOf(() => floatLoop(0, FLOAT_TERMS))));
    const rate = first / seconds;
    log(`${String(digits).padStart(6)}  ${scaleFor(digits).kernel.padEnd(7)}  ${(rate / 1e6).toFixed(1).padStart(10)}  ${(floatRate / 1e6).toFixed(0).padStart(17)}  ${(rate / floatRate).toFixed(3).padStart(7)}   -`);
  }

  const workers = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const runSeconds = quick ? 5 : Number(process.env.BENCH_SECONDS ?? 20);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-bench-'));
  try {
    const fw = await PiFramework.open({ scale: scaleFor(DEFAULT_PRECISION), stateDir: dir, logger: silentLogger, targetTaskSeconds: 10 });
    const backend = new LocalBackend(fw, workers, silentLogger);
    await backend.start();
    await new Promise((r) => setTimeout(r, runSeconds * 1000));
    const eff = backend.efficiency();
    const terms = fw.ledger.acc.termsComputed;
    await backend.stop();
    log('');
    log(`## local mode: local[${workers}] for ${runSeconds} s at ${DEFAULT_PRECISION} digits (the default), 10 s tasks`);
    log(`efficiency (compute time / (workers × wall)): ${(eff * 100).toFixed(2)}%   target ≥ 98%`);
    log(`terms finished: ${(terms / 1e6).toFixed(0)} M (${(terms / runSeconds / 1e6).toFixed(0)} M terms/s across ${workers} workers)`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Sums [0, terms) in a new worker thread (empty caches), timing it inside the thread. */
function freshThreadSeconds(digits: number, terms: number): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const { sumRange } = require(workerData.rangeSum);
    const { scaleFor } = require(workerData.precision);
    const t0 = process.hrtime.bigint();
    sumRange({ start: 0, count: workerData.terms }, scaleFor(workerData.digits));
    parentPort.postMessage(Number(process.hrtime.bigint() - t0) / 1e9);
  `;
  const w = new Worker(code, {
    eval: true,
    workerData: { digits, terms, rangeSum: require.resolve('../../src/pi/range-sum'), precision: require.resolve('../../src/pi/precision') },
  });
  return new Promise((resolve, reject) => {
    w.once('message', (s: number) => { void w.terminate(); resolve(s); });
    w.once('error', reject);
  });
}
