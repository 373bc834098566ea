/** Terms per second over a sliding window of recent completions. */
export class Throughput {
  private readonly samples: { t: number; terms: number }[] = [];

  constructor(private readonly now: () => number = Date.now, private readonly windowMs = 30_000) {}

  record(totalTerms: number): void {
    const t = this.now();
    this.samples.push({ t, terms: totalTerms });
    while (this.samples.length > 2 && this.samples[1].t < t - this.windowMs) this.samples.shift();
  }

  rate(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    // Measured up to now, not to the last completion, so the rate falls when completions stop.
    const dt = (this.now() - first.t) / 1000;
    return dt > 0 ? (last.terms - first.terms) / dt : 0;
  }
}
