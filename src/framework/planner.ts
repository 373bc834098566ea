import { BLOCK_TERMS } from '../pi/range';

/**
 * Sizes tasks so that each runs for about the target duration on the agent it goes to, from the
 * throughput measured on that agent's earlier tasks. Until the first measurement arrives tasks are
 * short, so one comes back quickly without tying up a CPU on a wild guess; after it, an agent not
 * yet measured is sized at the slowest rate seen.
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
    // Probe with short tasks only while nothing at all has been measured: once any agent has a
    // rate, the slowest known one is a safe guess for a full-length task.
    const seconds = measured === undefined && this.rates.size === 0 ? Math.min(this.targetSeconds, 1) : this.targetSeconds;
    const terms = (measured ?? this.fleetRate()) * seconds;
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
