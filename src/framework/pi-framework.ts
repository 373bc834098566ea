import { EventEmitter } from 'events';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { Logger } from '../common/logger';
import { certify, Certified } from '../pi/certify';
import { Scale } from '../pi/precision';
import { BLOCK_TERMS, rangeKey } from '../pi/range';
import { decodeResult, encodeTask, PayloadError, RangeTask, rangeTask } from '../executor/task-codec';
import { CheckpointWriter, readIfExists } from './checkpoint';
import { InFlight, Ledger, LedgerState, Part, taskAttempt } from './ledger';
import { Planner } from './planner';
import { Throughput } from './throughput';

export const TERMINAL_FAILURES = new Set([
  'TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_KILLED',
  // What reconciliation answers for a task the master does not know (partition-aware masters).
  'TASK_UNKNOWN',
]);
const ACTIVE = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING']);
/** Ranges in one task at most: the payload stays small, and so does what one kill throws away. */
export const MAX_RANGES_PER_TASK = 256;

/** A status update as any backend reports it (Mesos TaskState names). */
export interface StatusUpdate {
  taskId: string;
  state: string;
  agentId?: string;
  data?: Uint8Array;
  message?: string;
  reason?: string;
  /** The failure says nothing about the range (see MesosBackend): requeue it at the same attempt, at once. */
  blameless?: boolean;
}

export interface PlannedTask {
  taskId: string;
  task: RangeTask;
  payload: Buffer;
}

export interface FrameworkOptions {
  scale: Scale;
  stateDir: string;
  logger: Logger;
  /** Planned run time of one task; with targetRangeSeconds below it, a task holds several ranges. */
  targetTaskSeconds: number;
  /** Planned compute time of one range: what a fault loses at most (default: targetTaskSeconds, one range per task). */
  targetRangeSeconds?: number;
  /** Stop handing out work at this many terms (the run is then complete). */
  maxTerms?: number;
  /** Upper bound on the terms of one task, all its ranges together. */
  maxTaskTerms?: number;
  /** Terms/s per CPU assumed before the first measurement. */
  defaultRate?: number;
  /** Work units/s per CPU assumed before the first measurement (measured on this machine); wins over defaultRate. */
  defaultWorkRate?: number;
  /** Retries after which a failing range is logged as an error (it is still retried: no term is dropped). */
  maxQuietRetries?: number;
  now?: () => number;
}

export interface FrameworkState {
  frameworkId?: string;
  ledger: LedgerState;
}

/**
 * The pi framework, independent of where tasks run: plans tasks for the resources a backend
 * offers, records intent before launch, merges results exactly once, puts failed ranges back,
 * certifies digits and checkpoints. The local backend and the Mesos backend both drive this.
 */
export class PiFramework extends EventEmitter {
  readonly planner: Planner;
  readonly throughput: Throughput;
  frameworkId?: string;
  private certifiedCache?: Certified;
  private readonly writer: CheckpointWriter;
  private readonly now: () => number;
  private seq = 0;
  tasksLost = 0;
  /** Ranges merged (each finished range counts once, whatever task carried it). */
  tasksFinished = 0;
  /** Seconds of worker time the merged ranges took, as their executors measured it. */
  computeSeconds = 0;

  private constructor(readonly opts: FrameworkOptions, readonly ledger: Ledger, state?: FrameworkState) {
    super();
    this.now = opts.now ?? Date.now;
    this.frameworkId = state?.frameworkId;
    this.planner = new Planner(Math.min(opts.targetTaskSeconds, opts.targetRangeSeconds ?? opts.targetTaskSeconds),
      opts.defaultRate ?? defaultRate(opts.scale), opts.scale, opts.maxTaskTerms, opts.defaultWorkRate);
    this.throughput = new Throughput(this.now);
    this.throughput.record(ledger.acc.termsComputed);
    this.writer = new CheckpointWriter(PiFramework.stateFile(opts.stateDir), () => JSON.stringify(this.state()));
  }

  static stateFile(stateDir: string): string {
    return path.join(stateDir, 'pi-mesos-state.json');
  }

  /** Opens the run in the state directory, resuming from its checkpoint when there is one. */
  static async open(opts: FrameworkOptions): Promise<PiFramework> {
    const text = await readIfExists(PiFramework.stateFile(opts.stateDir));
    const limit = opts.maxTerms ?? Number.MAX_SAFE_INTEGER;
    if (text === undefined) return new PiFramework(opts, new Ledger(opts.scale, limit, opts.now));
    const state = JSON.parse(text) as FrameworkState;
    const ledger = Ledger.restore(state.ledger, opts.scale, limit, opts.now);
    opts.logger.info(
      `resumed from checkpoint: ${ledger.acc.prefixEnd} terms finished in order, ${ledger.acc.termsComputed} in all, ${ledger.inFlightCount === 1 ? '1 task was' : `${ledger.inFlightCount} tasks were`} in flight`,
    );
    return new PiFramework(opts, ledger, state);
  }

  state(): FrameworkState {
    return { frameworkId: this.frameworkId, ledger: this.ledger.snapshot() };
  }

  /** Resolves once the current state is on disk. */
  persist(): Promise<void> {
    return this.writer.save();
  }

  get complete(): boolean { return this.ledger.complete; }

  /**
   * Plans up to `slots` tasks for one agent and records them as in flight. The caller persists
   * (await persist()) before launching them, so a crash never forgets a launched range. A task
   * holds ranges of about `targetRangeSeconds` each, for about `targetTaskSeconds` in all (at
   * most MAX_RANGES_PER_TASK, and at most maxTaskTerms terms).
   */
  plan(agentId: string, slots: number): PlannedTask[] {
    const taskSeconds = this.opts.targetTaskSeconds;
    const rangeSeconds = Math.min(taskSeconds, this.opts.targetRangeSeconds ?? taskSeconds);
    const maxTerms = this.opts.maxTaskTerms ?? Number.MAX_SAFE_INTEGER;
    // Without targetRangeSeconds a task is one range (local mode: its workers compute one range
    // per payload), even when that range came out short (cut at the groups or the limit).
    const maxRanges = this.opts.targetRangeSeconds === undefined ? 1 : MAX_RANGES_PER_TASK;
    // The ranges are dealt to the offer's tasks in turn, not in one block per task: the prefix
    // [0, N) (and with it the certified digits) then advances with all of them, not with the
    // first task alone.
    const tasks = Array.from({ length: slots }, () => ({ parts: [] as Part[], terms: 0, seconds: 0 }));
    const open = (t: (typeof tasks)[number]): boolean =>
      t.parts.length < maxRanges && t.seconds < taskSeconds * 0.999 && maxTerms - t.terms >= BLOCK_TERMS;
    for (let dealt = true; dealt;) {
      dealt = false;
      for (const t of tasks) {
        if (!open(t)) continue;
        const r = this.ledger.take((start) => Math.min(this.planner.termsFor(agentId, start, rangeSeconds), maxTerms - t.terms));
        if (!r) break;
        t.parts.push(r);
        t.terms += r.count;
        t.seconds += this.planner.secondsFor(agentId, r);
        dealt = true;
      }
    }
    const out: PlannedTask[] = [];
    for (const { parts, terms } of tasks) {
      if (parts.length === 0) break;
      const first = parts[0];
      const attempt = parts.reduce((m, p) => Math.max(m, p.attempt), 0);
      const taskId = `pi.${first.start}.${terms}.${attempt}.${(this.seq++).toString(36)}${randomBytes(3).toString('hex')}`;
      const task: RangeTask = { ...rangeTask(first, this.opts.scale.digits) };
      if (parts.length > 1) task.more = parts.slice(1).map((p) => ({ start: p.start, count: p.count }));
      this.ledger.launch(taskId, parts, agentId);
      out.push({ taskId, task, payload: encodeTask(task) });
    }
    return out;
  }

  /**
   * Handles a status update; resolves when its effect is persisted (only then acknowledge it). A
   * TASK_RUNNING update with data carries a finished range of a task of several.
   */
  async onUpdate(u: StatusUpdate): Promise<void> {
    if (u.state === 'TASK_RUNNING' && u.data?.length) {
      this.onResult(u, this.ledger.task(u.taskId), false);
      await this.persist();
      return;
    }
    if (ACTIVE.has(u.state)) return;
    const rec = this.ledger.task(u.taskId);
    if (u.state === 'TASK_FINISHED') {
      this.onResult(u, rec, true);
      const left = this.ledger.task(u.taskId);
      if (left) {
        // Finished owing ranges (an executor of an older version computes only the first).
        this.opts.logger.warn(`task ${u.taskId} finished without ${left.parts.length} of its ranges; they go back to the queue`);
        this.ledger.fail(u.taskId, () => 0, true);
      }
    } else if (TERMINAL_FAILURES.has(u.state)) this.onFailed(u, rec);
    else this.opts.logger.debug(`task ${u.taskId}: ignoring state ${u.state}`);
    await this.persist();
  }

  /** A range's result, from TASK_FINISHED (`final`) or a TASK_RUNNING update of a task of several. */
  private onResult(u: StatusUpdate, rec: InFlight | undefined, final: boolean): void {
    let result;
    try {
      result = decodeResult(u.data);
      const part = rec?.parts.find((p) => p.start === result!.start && p.count === result!.count);
      if (part) {
        decodeResult(u.data, { task: rangeTask(part, this.opts.scale.digits) });
      } else {
        // A range we no longer track (presumed lost, or done meanwhile): it must still be at our scale.
        if (result.bits !== this.opts.scale.bits || result.kernel !== this.opts.scale.kernel) throw new PayloadError(`result at ${result.bits} bits/${result.kernel} does not match this run`);
        // A range of this task counted already comes again when its acknowledgement was lost (a
        // master failover, a cut connection): a duplicate, counted once below. Taken for a stranger,
        // it killed the task and requeued the ranges it was computing (chaos soak).
        if (rec && final === false && !this.ledger.isFinished(result)) throw new PayloadError(`result for ${result.rangeId} answers no range of this task`);
      }
    } catch (e) {
      this.opts.logger.warn(`task ${u.taskId} reported an unusable result (${(e as Error).message}); its ranges go back to the queue`);
      if (rec && !final) this.emit('superseded', rec);
      this.onFailed({ ...u, state: 'TASK_FAILED' }, rec);
      return;
    }
    const before = this.certified().decimals;
    const { outcome, superseded } = this.ledger.finish(u.taskId, result);
    if (outcome === 'merged') {
      this.tasksFinished++;
      this.computeSeconds += Math.max(0, result.computeSeconds);
      if (u.agentId && result.computeSeconds > 0) this.planner.observe(u.agentId, result, result.computeSeconds);
      this.throughput.record(this.ledger.acc.termsComputed);
      this.certifiedCache = undefined;
      for (const t of superseded) this.emit('superseded', t);
      const c = this.certified();
      if (c.decimals > before) {
        this.opts.logger.notice(`new certified digit: ${c.certified} (${c.decimals} decimals from ${c.terms} terms)`);
        this.emit('digit', c);
      }
      if (this.ledger.complete) this.emit('complete');
    } else if (outcome === 'conflict') {
      this.opts.logger.error(`task ${u.taskId} on agent ${u.agentId ?? '?'} returned a result for ${result.rangeId} that disagrees with the one already counted; ignored`);
    } else {
      this.opts.logger.debug(`task ${u.taskId}: ${outcome} result for ${result.rangeId}, not counted again`);
    }
  }

  private onFailed(u: StatusUpdate, rec: InFlight | undefined): void {
    if (!rec) {
      this.opts.logger.debug(`task ${u.taskId}: ${u.state} for a task not in flight; nothing to requeue`);
      return;
    }
    this.tasksLost++;
    const why = [u.reason, u.message].filter(Boolean).join(': ');
    const what = rec.parts.length === 1 ? `range ${rangeKey(rec.parts[0])}` : `${rec.parts.length} ranges from ${rangeKey(rec.parts[0])}`;
    const attempt = taskAttempt(rec);
    if (u.blameless) {
      this.ledger.fail(u.taskId, () => 0, true);
      this.opts.logger.info(`task ${u.taskId} ${u.state.replace('TASK_', '').toLowerCase()} before it started${why ? ` (${why})` : ''}; ${what} requeued, attempt ${attempt} unchanged`);
      return;
    }
    this.ledger.fail(u.taskId, (a) => Math.min(60_000, 1000 * 2 ** (a - 1)));
    const line = `task ${u.taskId} ${u.state.replace('TASK_', '').toLowerCase()}${why ? ` (${why})` : ''}; ${what} requeued, attempt ${attempt + 1}`;
    if (attempt + 1 > (this.opts.maxQuietRetries ?? 5)) this.opts.logger.error(line);
    else this.opts.logger.warn(line);
  }

  certified(): Certified {
    if (!this.certifiedCache) {
      const acc = this.ledger.acc;
      this.certifiedCache = certify(acc.prefixEnd, acc.prefixValue, acc.prefixErrUnits, this.opts.scale.bits);
    }
    return this.certifiedCache;
  }

  /** Seconds until the next certified decimal, from the current rate; null when unknown. */
  nextDigitEta(): number | null {
    const rate = this.throughput.rate();
    const c = this.certified();
    if (!(rate > 0) || this.ledger.complete) return null;
    // The R_N interval is about 1/N² wide, so d decimals need N ≈ 10^((d+1)/2).
    const target = Math.ceil(10 ** ((Math.max(0, c.decimals) + 2) / 2));
    const n = this.ledger.acc.prefixEnd;
    if (target <= n) return 0;
    return (target - n) / rate;
  }
}

/**
 * A Pi 4 core's terms per second, guessed for an agent not yet measured: about a tenth of the
 * x86 figures in the README (groups: 6–15 G/s up to 100 digits, falling as digits^1.5 beyond;
 * pairs: 4.6 M/s at 1000 digits, falling with the digits). A guess on the low side only makes a
 * first task short; the measured rate takes over from the second.
 */
function defaultRate(scale: Scale): number {
  if (scale.kernel === 'pairs') return 4e8 / scale.digits;
  return 1e9 * Math.min(1, (100 / scale.digits) ** 1.5);
}
