import { PiAccumulator, StoredRange } from '../pi/accumulator';
import { Scale } from '../pi/precision';
import { boundaryAtOrAbove, MAX_TERMS, rangeEnd, rangeKey, TermRange } from '../pi/range';
import { RangeSum } from '../pi/range-sum';

/** A range handed out, with how often it has been tried before (retry backoff, logging). */
export interface Part extends TermRange {
  attempt: number;
}

/**
 * A task in flight: the ranges it still owes, in the order its executor computes them. A task of
 * several ranges reports each finished one in a TASK_RUNNING update (the last in TASK_FINISHED),
 * so a long task loses at most one range to a fault.
 */
export interface InFlight {
  taskId: string;
  parts: Part[];
  agentId: string;
  launchedAt: number;
}

/** The attempt a task is on: its most tried range's. */
export function taskAttempt(t: InFlight): number {
  return t.parts.reduce((m, p) => Math.max(m, p.attempt), 0);
}

/** A checkpoint's in-flight record, as written before tasks had several ranges, or now. */
type StoredInFlight = Omit<InFlight, 'parts'> & { parts?: Part[]; range?: TermRange; attempt?: number };

interface Queued extends TermRange {
  attempt: number;
  /** Not to be handed out before this time (ms since epoch): retry backoff. */
  notBefore: number;
}

export type FinishOutcome = 'merged' | 'duplicate' | 'overlap' | 'conflict';

export interface LedgerState {
  version: 1;
  digits: number;
  bits: number;
  kernel: string;
  frontier: number;
  prefixEnd: number;
  prefixValue: string;
  prefixErrUnits: string;
  ahead: { start: number; count: number; value: string; errUnits: string }[];
  queue: Queued[];
  inFlight: StoredInFlight[];
}

export class LedgerMismatchError extends Error {}

/**
 * Every term of [0, limit) is in exactly one place: finished (in the accumulator), in flight
 * (a task launched for it), queued (handed back after a failure), or beyond the frontier (never
 * handed out). Ranges move between these places only here, which is what makes "no term lost,
 * none counted twice" checkable in one class.
 */
export class Ledger {
  readonly acc: PiAccumulator;
  private frontier = 0;
  private queue: Queued[] = [];
  private readonly inFlight = new Map<string, InFlight>();

  /** Where the run ends: the asked-for limit rounded up to a range boundary, at most MAX_TERMS. */
  readonly limit: number;

  constructor(readonly scale: Scale, limit: number = MAX_TERMS, private readonly now: () => number = Date.now) {
    this.acc = new PiAccumulator(scale.bits, scale.kernel);
    this.limit = Math.min(MAX_TERMS, boundaryAtOrAbove(limit));
  }

  get inFlightCount(): number { return this.inFlight.size; }
  get queuedTerms(): number { return this.queue.reduce((s, q) => s + q.count, 0); }
  tasks(): InFlight[] { return [...this.inFlight.values()]; }
  task(taskId: string): InFlight | undefined { return this.inFlight.get(taskId); }

  /** True once every term below the limit is finished. */
  get complete(): boolean { return this.acc.prefixEnd >= this.limit; }
  /** True when nothing is left to hand out now (all work finished or in flight). */
  get drained(): boolean {
    return this.frontier >= this.limit && this.queue.every((q) => q.notBefore > this.now());
  }

  /** Seconds until a queued retry becomes available, or undefined when none waits. */
  nextRetryIn(): number | undefined {
    const t = this.now();
    const waiting = this.queue.filter((q) => q.notBefore > t).map((q) => q.notBefore - t);
    return waiting.length ? Math.min(...waiting) / 1000 : undefined;
  }

  /**
   * Hands out up to `maxTerms` terms (or as many as it says for the range's start): a queued retry
   * first, else fresh terms from the frontier.
   */
  take(maxTerms: number | ((start: number) => number)): (TermRange & { attempt: number }) | undefined {
    const size = typeof maxTerms === 'number' ? () => maxTerms : maxTerms;
    const t = this.now();
    const i = this.queue.findIndex((q) => q.notBefore <= t);
    if (i >= 0) {
      const q = this.queue[i];
      const end = rangeEnd(q.start, size(q.start));
      if (end >= q.start + q.count) {
        this.queue.splice(i, 1);
        return { start: q.start, count: q.count, attempt: q.attempt };
      }
      const head = { start: q.start, count: end - q.start, attempt: q.attempt };
      this.queue[i] = { ...q, start: end, count: q.start + q.count - end };
      return head;
    }
    if (this.frontier >= this.limit) return undefined;
    const end = Math.min(rangeEnd(this.frontier, size(this.frontier)), this.limit);
    const r = { start: this.frontier, count: end - this.frontier, attempt: 0 };
    this.frontier = end;
    return r;
  }

  /** Records the intent to run `parts` (in this order) as `taskId`: call before launching, then persist. */
  launch(taskId: string, parts: (TermRange & { attempt?: number })[], agentId: string): InFlight {
    const rec: InFlight = { taskId, parts: parts.map((p) => ({ start: p.start, count: p.count, attempt: p.attempt ?? 0 })), agentId, launchedAt: this.now() };
    this.inFlight.set(taskId, rec);
    return rec;
  }

  /** Gives a range taken but not launched back, at the same attempt. */
  untake(range: TermRange & { attempt: number }): void {
    this.requeue(range, range.attempt, 0);
  }

  /**
   * Merges a finished range. The result is self-describing, so it is merged even if the task is
   * not (or no longer) known: a late result of a task presumed lost still counts, once. Ranges of
   * other tasks that this result makes redundant leave them (their pieces not covered go back to
   * the queue); a task left owing nothing is `superseded` (to be killed).
   */
  finish(taskId: string, result: RangeSum): { outcome: FinishOutcome; superseded: InFlight[] } {
    const rec = this.inFlight.get(taskId);
    const own = rec?.parts.find((p) => p.start === result.start && p.count === result.count);
    const added = this.acc.add(result);
    if (rec && own) {
      rec.parts = rec.parts.filter((p) => p !== own);
      if (rec.parts.length === 0) this.inFlight.delete(taskId);
      // Not counted (done meanwhile through other ranges): whatever of it is still missing goes back.
      if (added !== 'added') for (const piece of this.uncovered(own)) this.requeue(piece, own.attempt, 0);
    }
    if (added !== 'added') return { outcome: added, superseded: [] };
    this.removeFromQueue(result);
    // A re-run of this range (launched when the original was presumed lost) now computes terms
    // that are done: those ranges leave their tasks, and their results will be duplicates.
    const end = result.start + result.count;
    const superseded: InFlight[] = [];
    for (const t of this.tasks()) {
      const hit = t.parts.filter((p) => p.start < end && result.start < p.start + p.count);
      if (hit.length === 0) continue;
      t.parts = t.parts.filter((p) => !hit.includes(p));
      for (const p of hit) for (const piece of this.uncovered(p)) this.requeue(piece, p.attempt, 0);
      if (t.parts.length === 0) {
        this.inFlight.delete(t.taskId);
        superseded.push(t);
      }
    }
    return { outcome: 'merged', superseded };
  }

  /**
   * A task ended without its results: the ranges it still owed go back to the queue, with backoff
   * by attempt; `blameless` (they were never tried: e.g. the executor had just exited) keeps the
   * attempt and needs no wait.
   */
  fail(taskId: string, backoffMs: (attempt: number) => number, blameless = false): InFlight | undefined {
    const rec = this.inFlight.get(taskId);
    if (!rec) return undefined;
    this.inFlight.delete(taskId);
    for (const p of rec.parts) {
      for (const piece of this.uncovered(p)) {
        if (blameless) this.requeue(piece, p.attempt, 0);
        else this.requeue(piece, p.attempt + 1, backoffMs(p.attempt + 1));
      }
    }
    return rec;
  }

  /** Whether every term of `r` is finished (in the prefix or ahead of it). */
  isFinished(r: TermRange): boolean {
    return this.uncovered(r).length === 0;
  }

  /**
   * The pieces of `r` not finished yet, as valid ranges (finished ranges end on boundaries, so
   * their complements do too).
   */
  private uncovered(r: TermRange): TermRange[] {
    const end = r.start + r.count;
    let at = Math.max(r.start, this.acc.prefixEnd);
    const out: TermRange[] = [];
    for (const d of this.acc.aheadRanges()) {
      const dEnd = d.start + d.count;
      if (dEnd <= at) continue;
      if (d.start >= end) break;
      if (d.start > at) out.push({ start: at, count: d.start - at });
      at = Math.max(at, dEnd);
    }
    if (at < end) out.push({ start: at, count: end - at });
    return out;
  }

  /** Hands every in-flight range back (local mode restart: its workers died with the process). */
  requeueAllInFlight(): number {
    const ids = [...this.inFlight.keys()];
    for (const id of ids) this.fail(id, () => 0);
    return ids.length;
  }

  private requeue(r: TermRange, attempt: number, delayMs: number): void {
    this.queue.push({ start: r.start, count: r.count, attempt, notBefore: this.now() + delayMs });
    this.queue.sort((a, b) => a.start - b.start);
  }

  private removeFromQueue(r: TermRange): void {
    const end = r.start + r.count;
    const out: Queued[] = [];
    for (const q of this.queue) {
      const qEnd = q.start + q.count;
      if (qEnd <= r.start || q.start >= end) { out.push(q); continue; }
      if (q.start < r.start) out.push({ ...q, count: r.start - q.start });
      if (qEnd > end) out.push({ ...q, start: end, count: qEnd - end });
    }
    this.queue = out;
  }

  snapshot(): LedgerState {
    return {
      version: 1,
      digits: this.scale.digits,
      bits: this.scale.bits,
      kernel: this.scale.kernel,
      frontier: this.frontier,
      prefixEnd: this.acc.prefixEnd,
      prefixValue: this.acc.prefixValue.toString(),
      prefixErrUnits: this.acc.prefixErrUnits.toString(),
      ahead: this.acc.aheadRanges().map((r) => ({ start: r.start, count: r.count, value: r.value.toString(), errUnits: r.errUnits.toString() })),
      queue: this.queue.map((q) => ({ ...q })),
      inFlight: this.tasks().map((t) => ({ ...t, parts: t.parts.map((p) => ({ ...p })) })),
    };
  }

  static restore(s: LedgerState, scale: Scale, limit?: number, now?: () => number): Ledger {
    if (s.version !== 1) throw new LedgerMismatchError(`checkpoint version ${String(s.version)} is not supported`);
    if (s.digits === scale.digits && (s.bits !== scale.bits || s.kernel !== scale.kernel)) {
      throw new LedgerMismatchError(
        `the state directory holds a run summed by another kernel (${s.kernel}, ${s.bits} bits; this version sums with ` +
        `${scale.kernel}, ${scale.bits} bits), whose integers do not mix with these. Use another --state-dir, or remove it to start over`,
      );
    }
    if (s.digits !== scale.digits) {
      throw new LedgerMismatchError(
        `the state directory holds a run at precision ${s.digits} digits; this run asks for ${scale.digits}. ` +
        `Start with --precision ${s.digits}, or use another --state-dir`,
      );
    }
    const l = new Ledger(scale, limit, now);
    const ahead: StoredRange[] = s.ahead.map((r) => ({ start: r.start, count: r.count, value: BigInt(r.value), errUnits: BigInt(r.errUnits) }));
    (l as { acc: PiAccumulator }).acc = PiAccumulator.restore({
      bits: s.bits, kernel: s.kernel, prefixEnd: s.prefixEnd, prefixValue: BigInt(s.prefixValue), prefixErrUnits: BigInt(s.prefixErrUnits), ahead,
    });
    l.frontier = s.frontier;
    l.queue = s.queue.map((q) => ({ ...q }));
    for (const t of s.inFlight) {
      // Checkpoints from before tasks had several ranges hold one `range` and its attempt.
      const parts = t.parts ?? (t.range ? [{ start: t.range.start, count: t.range.count, attempt: t.attempt ?? 0 }] : []);
      l.inFlight.set(t.taskId, { taskId: t.taskId, agentId: t.agentId, launchedAt: t.launchedAt, parts: parts.map((p) => ({ ...p })) });
    }
    l.checkInvariant();
    return l;
  }

  /**
   * Throws unless finished, in-flight and queued ranges tile [0, frontier) exactly, with no gap
   * and no overlap: the ledger's whole promise, checked on every restore and in tests.
   */
  checkInvariant(): void {
    const pieces: TermRange[] = [
      { start: 0, count: this.acc.prefixEnd },
      ...this.acc.aheadRanges(),
      ...this.queue,
      ...this.tasks().flatMap((t) => t.parts),
    ].filter((p) => p.count > 0).sort((a, b) => a.start - b.start);
    let at = 0;
    for (const p of pieces) {
      if (p.start !== at) {
        throw new Error(`ledger ${p.start < at ? 'overlap' : 'gap'} at term ${Math.min(at, p.start)} (${rangeKey(p)})`);
      }
      at = p.start + p.count;
    }
    if (at !== this.frontier) throw new Error(`ledger covers [0, ${at}) but the frontier is ${this.frontier}`);
  }
}
