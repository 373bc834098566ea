import { rangeCost, termsForCost } from '../pi/cost';
import { Scale } from '../pi/precision';
import { BLOCK_TERMS, TermRange } from '../pi/range';

/**
 * Sizes tasks so that each runs for about the target duration on the agent it goes to, from the
 * throughput measured on that agent's earlier tasks. Throughput is measured in work units
 * (pi/cost.ts), not terms: the work per term changes along the series (pairs at the start, then
 * groups that get cheaper as the index grows and dearer where A² outgrows a word), and a task sized
 * by last task's terms per second would run short or long by that much. An agent not yet measured
 * is sized at the slowest rate seen anywhere, or at the default rate before any measurement.
 */
export class Planner {
  private readonly rates = new Map<string, number>();

  constructor(
    readonly targetSeconds: number,
    /** Terms per second per CPU assumed before anything is measured. */
    readonly defaultRate: number,
    readonly scale: Scale,
    readonly maxTermsPerTask = 2 ** 40,
    /** Work units per second per CPU for agents not measured yet, when known (see calibrate.ts); else defaultRate. */
    readonly defaultWorkRate?: number,
  ) {}

  /** Records a finished task: `range` computed in `seconds` of compute on one CPU of `agent`. */
  observe(agent: string, range: TermRange, seconds: number): void {
    if (!(seconds > 0) || range.count <= 0) return;
    const rate = rangeCost(range, this.scale) / seconds;
    const old = this.rates.get(agent);
    // Weighted towards the past, so one task slowed by a neighbour does not halve the next size.
    this.rates.set(agent, old === undefined ? rate : 0.7 * old + 0.3 * rate);
  }

  /** Measured work units per second on one CPU of `agent`. */
  rate(agent: string): number | undefined {
    return this.rates.get(agent);
  }

  /**
   * Terms for a range from `start` on `agent` to run about `seconds` (default: the target), a
   * whole number of blocks (the ledger cuts to range boundaries).
   */
  termsFor(agent: string, start: number, seconds = this.targetSeconds): number {
    // No short probing tasks: each would cost a relaunch gap on every CPU. The default rate is a
    // Pi-class guess, so a first task on a faster machine is merely short, and on a slower one at
    // most a few times the target.
    const rate = this.rates.get(agent) ?? this.slowestRate() ?? this.defaultWorkRate;
    const terms = rate === undefined ? this.defaultRate * seconds : termsForCost(start, rate * seconds, this.scale);
    const blocks = Math.max(1, Math.round(terms / BLOCK_TERMS));
    return Math.min(blocks * BLOCK_TERMS, this.maxTermsPerTask);
  }

  /** Seconds `range` should take on one CPU of `agent`, by the same rates termsFor uses. */
  secondsFor(agent: string, range: TermRange): number {
    const rate = this.rates.get(agent) ?? this.slowestRate() ?? this.defaultWorkRate;
    return rate === undefined ? range.count / this.defaultRate : rangeCost(range, this.scale) / rate;
  }

  /** The slowest measured rate: a safe guess for a new agent. */
  private slowestRate(): number | undefined {
    let slowest = Infinity;
    for (const r of this.rates.values()) slowest = Math.min(slowest, r);
    return Number.isFinite(slowest) ? slowest : undefined;
  }
}
