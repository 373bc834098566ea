import { parentPort } from 'worker_threads';
import { scaleFor } from '../pi/precision';
import { sumRange } from '../pi/range-sum';
import { decodeTask, encodeResult } from './task-codec';

// Runs in a worker thread: one range at a time, so a long sum never blocks the executor's or the
// daemon's event loop, and a KILL can end it at once by terminating the thread.

export interface WorkerRequest {
  taskId: string;
  payload: Uint8Array;
}

export type WorkerReply =
  | { taskId: string; ok: true; result: Uint8Array; computeSeconds: number }
  | { taskId: string; ok: false; message: string };

parentPort?.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const task = decodeTask(req.payload);
    const t0 = process.hrtime.bigint();
    const sum = sumRange(task, scaleFor(task.digits));
    const computeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const result = encodeResult({ ...sum, rangeId: task.rangeId, computeSeconds });
    reply = { taskId: req.taskId, ok: true, result, computeSeconds };
  } catch (e) {
    reply = { taskId: req.taskId, ok: false, message: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
