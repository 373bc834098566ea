import * as fs from 'fs';
import * as os from 'os';
import { parentPort, workerData } from 'worker_threads';
import { Scale, scaleFor } from '../pi/precision';
import { RangeSum, sumRange } from '../pi/range-sum';
import { rangeEnd, TermRange } from '../pi/range';

// Runs in a worker thread: one range at a time, so a long sum never blocks the executor's or the
// daemon's event loop, and a KILL can end it at once by terminating the thread. It gets a decoded
// range and returns the sum (BigInts cross the thread boundary as they are); the protobuf codec
// stays in the parent, so a new thread starts with the math alone (measured: it saves loading
// protobufjs and parsing the .proto in every thread).

export interface WorkerRequest {
  taskId: string;
  range: TermRange;
  digits: number;
}

export type WorkerReply =
  | { taskId: string; ok: true; sum: RangeSum; computeSeconds: number }
  | { taskId: string; ok: false; message: string };

const options = (workerData ?? {}) as { duty?: number; nice?: number };
/** Fraction of the time a worker computes (1: flat out). See WorkerPoolOptions.duty. */
const duty: number = options.duty ?? 1;
lowerOwnPriority(options.nice ?? 0);

/**
 * Lowers this thread's scheduling priority only (on Linux, setpriority on a thread id affects
 * that thread), so the computation yields to the daemon's or agent's event loop and to anything
 * else on the machine. Best effort: elsewhere it does nothing.
 */
function lowerOwnPriority(nice: number): void {
  if (nice <= 0) return;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, nice);
  } catch {
    // not Linux, or not permitted: run at normal priority
  }
}
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** A slice should take about this long: short enough to keep the duty cycle smooth. */
const SLICE_MS = 50;

/**
 * Sums the range in slices, resting between them so the thread computes only `duty` of the time.
 * Slices end on range boundaries, and sums of such sub-ranges add up exactly to the whole. The
 * work per term varies along the series (and by kernel), so each slice is sized from the last.
 */
function sumWithDuty(range: TermRange, scale: Scale): RangeSum {
  if (duty >= 1) return sumRange(range, scale);
  const end = range.start + range.count;
  let sliceTerms = 1 << 16;
  let total: RangeSum | undefined;
  for (let start = range.start; start < end; ) {
    const stop = Math.min(end, rangeEnd(start, sliceTerms));
    const t0 = Date.now();
    const part = sumRange({ start, count: stop - start }, scale);
    total = total ? { ...total, count: total.count + part.count, value: total.value + part.value, errUnits: total.errUnits + part.errUnits } : part;
    const took = Date.now() - t0;
    const rest = (took * (1 - duty)) / duty;
    if (rest > 0) Atomics.wait(sleeper, 0, 0, rest);
    sliceTerms = Math.min(2 ** 40, Math.max(1 << 10, Math.round((sliceTerms * SLICE_MS) / Math.max(1, took))));
    start = stop;
  }
  return total!;
}

parentPort?.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const t0 = process.hrtime.bigint();
    const sum = sumWithDuty(req.range, scaleFor(req.digits));
    const computeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    reply = { taskId: req.taskId, ok: true, sum, computeSeconds };
  } catch (e) {
    reply = { taskId: req.taskId, ok: false, message: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
