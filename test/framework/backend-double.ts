// A scheduler client double for MesosBackend tests that looks at the state file at the moment of
// each call: the checkpoint read after a run is over cannot tell "persist, then acknowledge" from
// the reverse, a snapshot taken inside acknowledge() can. And a clock whose timers fire only when
// the test advances it, so retries and rate limits are checked without waiting.
import { EventEmitter } from 'events';
import * as fs from 'fs';
import type { Timers } from '../../src/framework/mesos-backend';
import type { ExecutorTemplate } from '../../src/framework/executor-identity';
import type { LedgerState } from '../../src/framework/ledger';
import { encodeResult, decodeTask, taskRanges } from '../../src/executor/task-codec';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import type { Offer, Resource, TaskInfo, TaskStatus } from '../../src/mesos/types';

export interface StateOnDisk { frameworkId?: string; ledger: LedgerState }

export interface RecordedCall {
  type: string;
  args: unknown[];
  /** The checkpoint as it was on disk when the call was made (undefined: no file yet). */
  disk: StateOnDisk | undefined;
  at: number;
}

export class SnapshottingClient extends EventEmitter {
  subscribed = true;
  readonly calls: RecordedCall[] = [];
  readonly launched: TaskInfo[] = [];
  /** Calls of these types fail this many more times each. */
  failNext: Record<string, number> = {};

  constructor(private readonly stateFile: string, private readonly now: () => number) { super(); }

  private disk(): StateOnDisk | undefined {
    // Synchronous on purpose: what matters is the file at the instant of the call.
    try {
      return JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as StateOnDisk;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  private record(type: string, ...args: unknown[]): Promise<{ status: number }> {
    this.calls.push({ type, args, disk: this.disk(), at: this.now() });
    if ((this.failNext[type] ?? 0) > 0) {
      this.failNext[type]--;
      return Promise.reject(new Error(`${type} timed out`));
    }
    return Promise.resolve({ status: 202 });
  }

  start(): void { /* events come from the test */ }
  async stop(): Promise<void> { /* nothing to close */ }
  decline(ids: unknown, filters: unknown) { return this.record('decline', ids, filters); }
  launch(ids: unknown, tasks: TaskInfo[], filters: unknown) {
    this.launched.push(...tasks);
    return this.record('launch', ids, tasks, filters);
  }
  suppress(roles: unknown) { return this.record('suppress', roles); }
  revive(roles: unknown) { return this.record('revive', roles); }
  kill(taskId: unknown, agentId: unknown) { return this.record('kill', taskId, agentId); }
  reconcile(tasks: unknown) { return this.record('reconcile', tasks); }
  async acknowledge(status: TaskStatus) { if (status.uuid) await this.record('acknowledge', status); return null; }
  of(type: string): RecordedCall[] { return this.calls.filter((c) => c.type === type); }
}

/** Timers that fire only when the test advances the clock, in order of their due time. */
export class ManualClock implements Timers {
  t = 1_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { due: number; f: () => void; ms: number }>();
  /** Every delay asked for, in order (to check backoff sequences). */
  readonly requested: number[] = [];

  readonly now = (): number => this.t;

  set(f: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.requested.push(ms);
    this.pending.set(id, { due: this.t + ms, f, ms });
    return id;
  }

  clear(handle: unknown): void { this.pending.delete(handle as number); }

  get timersPending(): number { return this.pending.size; }

  /** Moves time to `t + ms`, firing each timer due on the way at its own due time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { due: number; f: () => void }] | undefined;
      for (const e of this.pending) if (e[1].due <= end && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = Math.max(this.t, next[1].due);
      next[1].f();
    }
    this.t = end;
  }
}

export const TEMPLATE: ExecutorTemplate = {
  name: 'pi-mesos executor', cpus: 0.05, memMb: 96,
  command: { shell: false, value: '/usr/bin/env', arguments: ['env', 'node', 'dist/src/executor/main.js'] },
};

const plain = (name: string, value: number): Resource => ({ name, type: 'SCALAR', scalar: { value } });

export function offer(id: string, agent: string, cpus: number, mem: number): Offer {
  return {
    id: { value: id }, framework_id: { value: 'fw' }, agent_id: { value: agent }, hostname: `${agent}.lan`,
    resources: [plain('cpus', cpus), plain('mem', mem)], executor_ids: [],
  };
}

let uuidSeq = 0;
/** A fresh 16-byte uuid: an update that must be acknowledged. */
export function uuid(): Buffer { return Buffer.alloc(16, ++uuidSeq & 0xff); }

/** The executor's update for range `i` of task `t`: TASK_RUNNING with data, or TASK_FINISHED for the last. */
export function rangeUpdate(t: TaskInfo, i: number, digits = 20, state?: string): TaskStatus {
  const ranges = taskRanges(decodeTask(t.data));
  const r = ranges[i];
  const sum = sumRange(r, scaleFor(digits));
  return {
    task_id: t.task_id, agent_id: t.agent_id, state: (state ?? (i === ranges.length - 1 ? 'TASK_FINISHED' : 'TASK_RUNNING')) as TaskStatus['state'],
    data: encodeResult({ ...sum, rangeId: `${r.start}+${r.count}`, computeSeconds: 0.01 }),
    uuid: uuid(),
  };
}

/** The ranges a checkpoint says are in flight for `taskId`, as "start+count" keys. */
export function inFlightOnDisk(disk: StateOnDisk | undefined, taskId: string): string[] | undefined {
  const rec = disk?.ledger.inFlight.find((t) => t.taskId === taskId);
  return rec ? (rec.parts ?? []).map((p) => `${p.start}+${p.count}`) : undefined;
}

/** Whether a checkpoint counts the range [start, start+count) as finished (in the prefix or ahead of it). */
export function finishedOnDisk(disk: StateOnDisk | undefined, start: number, count: number): boolean {
  if (!disk) return false;
  if (start + count <= disk.ledger.prefixEnd) return true;
  return disk.ledger.ahead.some((a) => a.start === start && a.count === count);
}

/** Lets the backend's promise chains run (the update chain, persist), without any wall-clock wait. */
export async function settle(times = 20): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise<void>((r) => setImmediate(r));
}
