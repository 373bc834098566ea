import { Logger } from '../common/logger';
import type { ExecutorClient } from '../mesos/executor';
import type { TaskInfo, TaskState } from '../mesos/types';
import type { TermRange } from '../pi/range';
import { decodeTask, encodeTask, PayloadError, rangeTask, taskRanges } from './task-codec';
import { TaskOutcome, WorkerPool } from './worker-pool';

export interface PiExecutorOptions {
  logger: Logger;
  /** Exit after this long with no task and nothing unacknowledged (0: never). */
  idleExitMs?: number;
  /** Called once when the executor is done (shutdown, gave up, idle). */
  onExit: (code: number, why: string) => void;
}

/**
 * The executor that runs on each agent: one per agent, long-lived, each task a range computed in
 * a worker thread. Updates go through the ExecutorClient, which keeps them until acknowledged and
 * re-sends them after an agent restart; the result travels in TASK_FINISHED's data.
 */
export class PiExecutor {
  private readonly queue: TaskInfo[] = [];
  private readonly running = new Map<string, TaskInfo>();
  private idleTimer?: NodeJS.Timeout;
  private shuttingDown = false;
  private exited = false;

  constructor(private readonly client: ExecutorClient, private readonly pool: WorkerPool, private readonly opts: PiExecutorOptions) {
    client.on('launch', (t) => this.launch(t));
    client.on('launch_group', (g) => { for (const t of g.tasks ?? []) this.launch(t); });
    client.on('kill', (id) => this.kill(id.value));
    client.on('shutdown', () => void this.shutdown('the agent asked for shutdown'));
    client.on('acknowledged', () => this.armIdle());
    client.on('give_up', (why) => this.exit(1, `gave up on the agent: ${why}`));
    client.on('mesos_error', (m) => this.opts.logger.error(`agent sent ERROR: ${m}`));
    client.on('subscribed', () => this.opts.logger.info('subscribed to the agent'));
  }

  start(): void {
    this.client.start();
    this.armIdle();
  }

  private send(task: TaskInfo, state: TaskState, extra: { message?: string; data?: Buffer } = {}): void {
    this.client.update({ task_id: task.task_id, state, ...extra });
  }

  private launch(task: TaskInfo): void {
    if (this.shuttingDown) {
      this.send(task, 'TASK_KILLED', { message: 'executor is shutting down' });
      return;
    }
    // Validate before queueing, so a bad payload fails at once with a message saying why.
    try {
      decodeTask(task.data);
    } catch (e) {
      const msg = e instanceof PayloadError ? e.message : `unreadable task: ${(e as Error).message}`;
      this.opts.logger.warn(`task ${task.task_id.value}: ${msg}`);
      this.send(task, 'TASK_FAILED', { message: msg });
      return;
    }
    this.queue.push(task);
    this.pump();
  }

  private pump(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // Each task came with its own CPU from Mesos, so each gets a thread at once.
    while (this.pool.idle < this.queue.length) this.pool.grow();
    while (this.pool.idle > 0 && this.queue.length > 0) {
      const task = this.queue.shift()!;
      this.running.set(task.task_id.value, task);
      this.send(task, 'TASK_RUNNING');
      const decoded = decodeTask(task.data);
      this.runRange(task, taskRanges(decoded), 0, decoded.digits);
    }
    this.armIdle();
  }

  /** Computes range `i` of the task; each but the last is reported in a TASK_RUNNING update's data. */
  private runRange(task: TaskInfo, ranges: TermRange[], i: number, digits: number): void {
    void this.pool.run(task.task_id.value, encodeTask(rangeTask(ranges[i], digits))).then((o) => {
      if (o.kind === 'finished' && i + 1 < ranges.length && !this.shuttingDown) {
        this.send(task, 'TASK_RUNNING', { data: o.result });
        // The thread this range just freed goes on with the next one at once.
        this.runRange(task, ranges, i + 1, digits);
        return;
      }
      this.done(task, o, i + 1 < ranges.length);
    });
  }

  private done(task: TaskInfo, o: TaskOutcome, rangesLeft: boolean): void {
    this.running.delete(task.task_id.value);
    if (o.kind === 'finished' && !rangesLeft) this.send(task, 'TASK_FINISHED', { data: o.result });
    else if (o.kind === 'finished') {
      // Shutting down between two ranges: the finished one still counts, the rest go back.
      this.send(task, 'TASK_RUNNING', { data: o.result });
      this.send(task, 'TASK_KILLED', { message: 'executor shutdown' });
    }
    else if (o.kind === 'failed') this.send(task, 'TASK_FAILED', { message: o.message });
    else this.send(task, 'TASK_KILLED');
    if (!this.shuttingDown) this.pump();
  }

  private kill(taskId: string): void {
    const i = this.queue.findIndex((t) => t.task_id.value === taskId);
    if (i >= 0) {
      const [t] = this.queue.splice(i, 1);
      this.send(t, 'TASK_KILLED');
      return;
    }
    // A running task: the worker is terminated and done() reports TASK_KILLED.
    if (!this.pool.kill(taskId)) this.opts.logger.debug(`kill for unknown task ${taskId}`);
  }

  /** Kills everything, reports it, and exits once the agent has the updates (or the grace period ends). */
  async shutdown(why: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.opts.logger.info(`shutting down: ${why}`);
    for (const t of this.queue.splice(0)) this.send(t, 'TASK_KILLED', { message: 'executor shutdown' });
    for (const id of [...this.running.keys()]) this.pool.kill(id);
    const grace = this.client.environment.shutdownGracePeriodMs ?? 5000;
    const deadline = Date.now() + Math.max(500, grace - 500);
    await new Promise<void>((resolve) => {
      // A killed task's TASK_KILLED is sent from done(), a microtask later: wait for the running
      // set to empty too, or the executor would exit before that update was even made.
      const check = (): void => {
        if ((this.running.size === 0 && this.client.state.unacknowledgedUpdates === 0) || Date.now() > deadline) resolve();
        else setTimeout(check, 50);
      };
      check();
    });
    this.exit(0, why);
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const ms = this.opts.idleExitMs ?? 0;
    if (ms <= 0 || this.shuttingDown) return;
    this.idleTimer = setTimeout(() => {
      if (this.running.size === 0 && this.queue.length === 0 && this.client.state.unacknowledgedUpdates === 0) {
        this.exit(0, `idle for ${Math.round(ms / 1000)} s`);
      } else this.armIdle();
    }, ms);
    this.idleTimer.unref();
  }

  private exit(code: number, why: string): void {
    if (this.exited) return;
    this.exited = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.opts.logger.info(`executor exiting (${why})`);
    void Promise.allSettled([this.client.stop(), this.pool.close()]).then(() => this.opts.onExit(code, why));
  }
}
