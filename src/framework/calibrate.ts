import { rangeCost } from '../pi/cost';
import { Scale } from '../pi/precision';
import { rangeEnd } from '../pi/range';
import { sumRange } from '../pi/range-sum';

/**
 * This machine's work units per second on one thread (pi/cost.ts units), measured by summing a
 * range deep in the series (where a run spends nearly all its time) until `budgetMs` have passed.
 * The planner sizes the first tasks of agents it has not measured yet from it: on a cluster of
 * Pis the master is a Pi too, and a guess that is 16 times off would make the first tasks of
 * every CPU end early, each paying a launch gap. Blocks the caller for about budgetMs.
 */
export function measureWorkRate(scale: Scale, budgetMs = 40, now: () => number = () => Number(process.hrtime.bigint()) / 1e6): number {
  const from = 2 ** 40;
  let terms = 1 << 16;
  let units = 0;
  const t0 = now();
  let elapsed = 0;
  // The first call builds the kernel's per-thread tables: not part of the rate.
  sumRange({ start: from, count: rangeEnd(from, 1) - from }, scale);
  const start = now();
  while (elapsed < budgetMs) {
    const range = { start: from, count: rangeEnd(from, terms) - from };
    sumRange(range, scale);
    units += rangeCost(range, scale);
    elapsed = now() - start;
    terms *= 2;
    if (now() - t0 > budgetMs * 20) break;
  }
  return units / (Math.max(elapsed, 0.001) / 1000);
}
