// Capped exponential backoff with jitter, so that many clients cut off by the same master
// failover do not all come back in the same instant.

export interface BackoffOptions {
  /** Ceiling of the first delay (default 1000 ms). */
  initialMs?: number;
  /** Ceiling of every delay (default 15000 ms, as the Mesos docs suggest). */
  maxMs?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private attempts = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = options.maxMs ?? 15000;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) {
      throw new RangeError(`backoff needs 0 < initialMs <= maxMs (got ${this.initialMs}, ${this.maxMs})`);
    }
  }

  /** Delays handed out since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /**
   * The next delay: the ceiling doubles from initialMs up to maxMs, and the delay is drawn
   * uniformly from the upper half of it, so it stays within [initialMs / 2, maxMs].
   */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(ceiling / 2 + (r * ceiling) / 2);
  }

  reset(): void {
    this.attempts = 0;
  }
}
