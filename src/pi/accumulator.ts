import { RangeSum } from './range-sum';
import { rangeKey } from './range';

const FOLDED_MEMORY = 4096;

/**
 * added: counted now. duplicate: this exact range was counted already (same value where it can
 * be checked). overlap: some of its terms were counted already through other ranges, so it is
 * not counted. conflict: same range, different value, or another scale: a broken or lying peer.
 */
export type AddOutcome = 'added' | 'duplicate' | 'overlap' | 'conflict';

/** A finished range as stored: enough to re-check a duplicate and to rebuild the sum. */
export interface StoredRange {
  start: number;
  count: number;
  value: bigint;
  errUnits: bigint;
}

/**
 * Exact, order-independent sum of finished ranges. Ranges that continue the contiguous prefix
 * [0, N) are folded into one integer; the others wait until the gap before them is filled.
 * Merging is integer addition, so the prefix sum does not depend on arrival order; a range seen
 * twice is counted once, and a second result that disagrees is reported as a conflict.
 */
export class PiAccumulator {
  private prefixEndTerms = 0;
  private prefixSum = 0n;
  private prefixErrSum = 0n;
  /** Finished ranges beyond the prefix, by start. */
  private readonly ahead = new Map<number, StoredRange>();
  /** Recently folded ranges, so a late duplicate is checked against its value (bounded). */
  private readonly folded = new Map<string, bigint>();
  private termsBeyond = 0;

  constructor(readonly bits: number, readonly kernel: string) {}

  get prefixEnd(): number { return this.prefixEndTerms; }
  get prefixValue(): bigint { return this.prefixSum; }
  get prefixErrUnits(): bigint { return this.prefixErrSum; }
  /** Terms finished in total, inside and beyond the prefix. */
  get termsComputed(): number { return this.prefixEndTerms + this.termsBeyond; }

  /** Whether any term of [start, start+count) is already finished. */
  overlapsDone(start: number, count: number): boolean {
    if (start < this.prefixEndTerms) return true;
    for (const r of this.ahead.values()) {
      if (start < r.start + r.count && r.start < start + count) return true;
    }
    return false;
  }

  add(r: RangeSum | StoredRange & { bits?: number; kernel?: string }): AddOutcome {
    if (r.bits !== undefined && r.bits !== this.bits) return 'conflict';
    if (r.kernel !== undefined && r.kernel !== this.kernel) return 'conflict';
    const key = rangeKey(r);
    const foldedValue = this.folded.get(key);
    if (foldedValue !== undefined) return foldedValue === r.value ? 'duplicate' : 'conflict';
    // Older than the remembered window but wholly inside the prefix: counted already, cannot re-check.
    if (r.start + r.count <= this.prefixEndTerms) return 'duplicate';
    const waiting = this.ahead.get(r.start);
    if (waiting) {
      // Another split of the same terms (a range requeued and re-dealt in other sizes) is an
      // overlap, not a disagreement: the chaos soak saw it logged as an error of the computation.
      if (waiting.count !== r.count) return 'overlap';
      return waiting.value === r.value ? 'duplicate' : 'conflict';
    }
    if (this.overlapsDone(r.start, r.count)) return 'overlap';
    this.ahead.set(r.start, { start: r.start, count: r.count, value: r.value, errUnits: r.errUnits });
    this.termsBeyond += r.count;
    this.fold();
    return 'added';
  }

  private fold(): void {
    for (let next = this.ahead.get(this.prefixEndTerms); next; next = this.ahead.get(this.prefixEndTerms)) {
      this.ahead.delete(next.start);
      this.termsBeyond -= next.count;
      this.prefixSum += next.value;
      this.prefixErrSum += next.errUnits;
      this.prefixEndTerms += next.count;
      this.folded.set(rangeKey(next), next.value);
      if (this.folded.size > FOLDED_MEMORY) this.folded.delete(this.folded.keys().next().value as string);
    }
  }

  /** Ranges finished beyond the prefix, in order. */
  aheadRanges(): StoredRange[] {
    return [...this.ahead.values()].sort((a, b) => a.start - b.start);
  }

  /** Restores a checkpoint; the window of recently folded ranges starts empty. */
  static restore(s: { bits: number; kernel: string; prefixEnd: number; prefixValue: bigint; prefixErrUnits: bigint; ahead: StoredRange[] }): PiAccumulator {
    const acc = new PiAccumulator(s.bits, s.kernel);
    acc.prefixEndTerms = s.prefixEnd;
    acc.prefixSum = s.prefixValue;
    acc.prefixErrSum = s.prefixErrUnits;
    for (const r of s.ahead) acc.add(r);
    return acc;
  }
}
