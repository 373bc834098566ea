import * as os from 'os';
import { promises as fs } from 'fs';
import * as path from 'path';
import { silentLogger } from '../../src/common/logger';
import { LocalBackend } from '../../src/framework/local-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';

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

function seconds(f: () => unknown): number {
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
    bestFloat = Math.min(bestFloat, seconds(() => floatLoop(start, FLOAT_TERMS)));
    best = Math.min(best, seconds(candidate));
  }
  return { rate: count / best, floatRate: FLOAT_TERMS / bestFloat };
}

export async function run(log: (line: string) => void): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  log('## exact range sums vs a float64 loop over the same terms (one core, best of 3)');
  log('digits  kernel  M terms/s  float64 M terms/s  ratio   target');
  const targets: Record<number, string> = { 20: '≥ 0.25', 50: '-', 100: '≥ 0.05', 1000: '≥ 0.01' };
  const start = 1_000_000_000; // past the first 2^24 pairs, where every term takes the general path
  for (const digits of [20, 50, 100, 1000]) {
    const scale = scaleFor(digits);
    const count = (quick ? 0.1 : 1) * (digits <= 20 ? 40_000_000 : digits <= 100 ? 8_000_000 : 2_000_000);
    const c = Math.round(count / 32) * 32;
    const { rate, floatRate } = ratio(c, start, () => sumRange({ start, count: c }, scale));
    log(`${String(digits).padStart(6)}  ${scale.kernel.padEnd(6)}  ${(rate / 1e6).toFixed(1).padStart(9)}  ${(floatRate / 1e6).toFixed(0).padStart(17)}  ${(rate / floatRate).toFixed(3).padStart(6)}   ${targets[digits]}`);
  }

  const workers = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const runSeconds = quick ? 5 : Number(process.env.BENCH_SECONDS ?? 20);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-bench-'));
  try {
    const fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger: silentLogger, targetTaskSeconds: 10 });
    const backend = new LocalBackend(fw, workers, silentLogger);
    await backend.start();
    await new Promise((r) => setTimeout(r, runSeconds * 1000));
    const eff = backend.efficiency();
    const terms = fw.ledger.acc.termsComputed;
    await backend.stop();
    log('');
    log(`## local mode: local[${workers}] for ${runSeconds} s at 20 digits, 10 s tasks`);
    log(`efficiency (compute time / (workers × wall)): ${(eff * 100).toFixed(2)}%   target ≥ 98%`);
    log(`terms finished: ${(terms / 1e6).toFixed(0)} M (${(terms / runSeconds / 1e6).toFixed(0)} M terms/s across ${workers} workers)`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
