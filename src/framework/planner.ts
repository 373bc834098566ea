import { BLOCK_TERMS } from '../pi/range';

/**
 * Sizes tasks so that each runs for about the target duration on the agent it goes to, from the
 * throughput measured on that agent's earlier tasks. An agent not yet measured is sized at the
 * slowest rate seen anywhere, or at the default rate before any measurement.
 */
export class Planner {
  private readonly rates = new Map<string, number>();

  constructor(
    readonly targetSeconds: number,
    /** Terms per second per CPU assumed before anything is measured. */
    readonly defaultRate: number,
    readonly maxTermsPerTask = 2 ** 40,
  ) {}

  /** Records a finished task: `terms` computed in `seconds` of compute on one CPU of `agent`. */
  observe(agent: string, terms: number, seconds: number): void {
    if (!(seconds > 0) || terms <= 0) return;
    const rate = terms / seconds;
    const old = this.rates.get(agent);
    // Weighted towards the past, so one task slowed by a neighbour does not halve the next size.
    this.rates.set(agent, old === undefined ? rate : 0.7 * old + 0.3 * rate);
  }

  rate(agent: string): number | undefined {
    return this.rates.get(agent);
  }

  termsFor(agent: string): number {
    const measured = this.rates.get(agent);
    // No short probing tasks: each would cost a relaunch gap on every CPU. The default rate is a
    // Pi-class guess, so a first task on a faster machine is merely short, and on a slower one at
    // most a few times the target.
    const terms = (measured ?? this.fleetRate()) * this.targetSeconds;
    const blocks = Math.max(1, Math.round(terms / BLOCK_TERMS));
    return Math.min(blocks * BLOCK_TERMS, this.maxTermsPerTask);
  }

  /** The slowest measured rate, or the default: a safe guess for a new agent. */
  private fleetRate(): number {
    let slowest = Infinity;
    for (const r of this.rates.values()) slowest = Math.min(slowest, r);
    return Number.isFinite(slowest) ? slowest : this.defaultRate;
  }
}
