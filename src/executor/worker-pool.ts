import * as path from 'path';
import { Worker } from 'worker_threads';
import type { WorkerReply, WorkerRequest } from './range-worker';
import { decodeTask, encodeResult, RangeTask } from './task-codec';

/**
 * What a worker thread sees of the environment: everything but the credentials the agent gives
 * the executor (MESOS_EXECUTOR_AUTHENTICATION_TOKEN lets its holder act as this executor on the
 * agent's API; the range math needs none of it).
 */
export function workerEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'MESOS_EXECUTOR_AUTHENTICATION_TOKEN') out[k] = v;
  return out;
}

export type TaskOutcome =
  | { kind: 'finished'; result: Buffer; computeSeconds: number }
  | { kind: 'failed'; message: string }
  | { kind: 'killed' };

export interface WorkerPoolOptions {
  script?: string;
  /**
   * Fraction of the time each worker computes, in (0, 1]: below 1 the worker rests between
   * slices. For Pis that overheat, or to share an agent politely.
   */
  duty?: number;
  /** Nice value of the worker threads (default 10): computing never starves the event loops. */
  nice?: number;
}

interface Slot {
  worker: Worker;
  busy?: { taskId: string; task: RangeTask; resolve: (o: TaskOutcome) => void; startedNs: bigint };
}

/**
 * A fixed number of worker threads, each running one range at a time. Used by the executor on an
 * agent and by the daemon's local mode, so both compute through exactly the same code.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private closed = false;
  private busyNs = 0n;
  private readonly script: string;

  constructor(initialSize: number, private readonly options: WorkerPoolOptions = {}) {
    this.script = options.script ?? path.join(__dirname, 'range-worker.js');
    for (let i = 0; i < initialSize; i++) this.slots.push({ worker: this.spawn() });
  }

  get size(): number { return this.slots.length; }

  /** Adds a worker thread (an executor grows to as many tasks as Mesos gives it CPUs for). */
  grow(): void {
    if (!this.closed) this.slots.push({ worker: this.spawn() });
  }

  private spawn(): Worker {
    const w = new Worker(this.script, { workerData: { duty: this.options.duty ?? 1, nice: this.options.nice ?? 10 }, env: workerEnvironment(process.env) });
    w.unref();
    w.on('message', (reply: WorkerReply) => this.onReply(w, reply));
    w.on('error', (err) => this.onCrash(w, err.message));
    w.on('exit', (code) => { if (!this.closed) this.onCrash(w, `worker exited with code ${code}`); });
    return w;
  }

  get idle(): number { return this.slots.filter((s) => !s.busy).length; }
  get running(): number { return this.size - this.idle; }

  /** Wall time workers have spent on tasks, in seconds, finished tasks plus running ones so far. */
  busySeconds(): number {
    const now = process.hrtime.bigint();
    let ns = this.busyNs;
    for (const s of this.slots) if (s.busy) ns += now - s.busy.startedNs;
    return Number(ns) / 1e9;
  }

  run(taskId: string, payload: Uint8Array): Promise<TaskOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'failed', message: 'worker pool is closed' });
    const slot = this.slots.find((s) => !s.busy);
    if (!slot) return Promise.resolve({ kind: 'failed', message: 'no idle worker' });
    let task: RangeTask;
    try {
      task = decodeTask(payload);
    } catch (e) {
      return Promise.resolve({ kind: 'failed', message: (e as Error).message });
    }
    return new Promise((resolve) => {
      slot.busy = { taskId, task, resolve, startedNs: process.hrtime.bigint() };
      const req: WorkerRequest = { taskId, range: { start: task.start, count: task.count }, digits: task.digits };
      slot.worker.postMessage(req);
    });
  }

  /** Stops a running task at once: its thread is terminated and replaced. */
  kill(taskId: string): boolean {
    const slot = this.slots.find((s) => s.busy?.taskId === taskId);
    if (!slot) return false;
    const old = slot.worker;
    this.finish(slot, { kind: 'killed' });
    slot.worker = this.spawn();
    old.removeAllListeners('exit');
    void old.terminate();
    return true;
  }

  private finish(slot: Slot, outcome: TaskOutcome): void {
    const busy = slot.busy;
    if (!busy) return;
    slot.busy = undefined;
    this.busyNs += process.hrtime.bigint() - busy.startedNs;
    busy.resolve(outcome);
  }

  private onReply(w: Worker, reply: WorkerReply): void {
    const slot = this.slots.find((s) => s.worker === w);
    if (!slot || slot.busy?.taskId !== reply.taskId) return;
    const task = slot.busy.task;
    this.finish(slot, reply.ok
      ? { kind: 'finished', result: encodeResult({ ...reply.sum, rangeId: task.rangeId, computeSeconds: reply.computeSeconds }), computeSeconds: reply.computeSeconds }
      : { kind: 'failed', message: reply.message });
  }

  private onCrash(w: Worker, message: string): void {
    const slot = this.slots.find((s) => s.worker === w);
    if (!slot) return;
    this.finish(slot, { kind: 'failed', message });
    w.removeAllListeners();
    if (!this.closed) slot.worker = this.spawn();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.slots) this.finish(s, { kind: 'killed' });
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
