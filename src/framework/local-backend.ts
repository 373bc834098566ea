import { Logger } from '../common/logger';
import { WorkerPool } from '../executor/worker-pool';
import { PiFramework } from './pi-framework';

export const LOCAL_AGENT = 'local';

/**
 * `--master local[N]`: N worker threads in this process stand in for the agents. Work flows
 * through the same PiFramework calls as on Mesos — plan, persist, launch, status update, persist —
 * so local mode exercises the real framework code, not a shortcut.
 */
export class LocalBackend {
  readonly pool: WorkerPool;
  private stopping = false;
  private filling = false;
  /** The last fill, which stop() lets end: it may be writing the intent of tasks not launched yet. */
  private fillRun: Promise<void> | undefined;
  private readonly startedNs = process.hrtime.bigint();
  private readonly inFlight = new Set<Promise<void>>();
  tasksLaunched = 0;

  constructor(private readonly fw: PiFramework, readonly workers: number, private readonly logger: Logger) {
    this.pool = new WorkerPool(workers);
  }

  async start(): Promise<void> {
    // Workers died with the previous process: whatever they were computing goes back to the queue.
    const back = this.fw.ledger.requeueAllInFlight();
    if (back > 0) {
      this.logger.info(`requeued ${back} ranges that were in flight when the previous run stopped`);
      await this.fw.persist();
    }
    this.logger.notice(`local mode: ${this.workers} worker thread${this.workers === 1 ? '' : 's'}, precision ${this.fw.opts.scale.digits} digits`);
    void this.fill();
  }

  /** Seconds of compute / (workers × wall seconds) since start. */
  efficiency(): number {
    const wall = Number(process.hrtime.bigint() - this.startedNs) / 1e9;
    return wall > 0 ? this.pool.busySeconds() / (this.workers * wall) : 0;
  }

  private fill(): Promise<void> {
    if (this.filling || this.stopping) return Promise.resolve();
    this.fillRun = this.fillNow();
    return this.fillRun;
  }

  private async fillNow(): Promise<void> {
    this.filling = true;
    try {
      while (!this.stopping && this.pool.idle > 0) {
        const planned = this.fw.plan(LOCAL_AGENT, this.pool.idle);
        if (planned.length === 0) {
          const wait = this.fw.ledger.nextRetryIn();
          if (wait !== undefined) setTimeout(() => void this.fill(), wait * 1000 + 10).unref();
          break;
        }
        // Intent first: a crash after this point finds the ranges in flight and requeues them.
        await this.fw.persist();
        if (this.stopping) {
          // Stopped while the intent was written: the workers are gone, so these ranges go back as
          // a shutdown's do (see launch), not as failures with back-off.
          for (const p of planned) this.fw.ledger.fail(p.taskId, () => 0, true);
          break;
        }
        for (const p of planned) this.launch(p.taskId, p.payload);
      }
    } finally {
      this.filling = false;
    }
  }

  private launch(taskId: string, payload: Buffer): void {
    this.tasksLaunched++;
    const job = this.pool.run(taskId, payload).then(async (outcome) => {
      if (outcome.kind === 'killed' && this.stopping) {
        // Ended by our own shutdown, not by its range: back to the queue at the same attempt and
        // with no back-off (as a blameless update does), before the final checkpoint. Counted as
        // a failure, rapid restarts pushed one range to attempt 5 and minutes of back-off.
        this.fw.ledger.fail(taskId, () => 0, true);
        return;
      }
      if (outcome.kind === 'finished') {
        await this.fw.onUpdate({ taskId, state: 'TASK_FINISHED', agentId: LOCAL_AGENT, data: outcome.result });
      } else {
        await this.fw.onUpdate({
          taskId,
          state: outcome.kind === 'killed' ? 'TASK_KILLED' : 'TASK_FAILED',
          agentId: LOCAL_AGENT,
          message: outcome.kind === 'failed' ? outcome.message : undefined,
        });
      }
    }).catch((e) => this.logger.error('local task bookkeeping failed', e)).finally(() => {
      this.inFlight.delete(job);
      void this.fill();
    });
    this.inFlight.add(job);
  }

  /** Stops launching and ends the workers; their ranges stay in flight in the checkpoint. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.fillRun?.catch(() => undefined);
    await this.pool.close();
    await Promise.allSettled([...this.inFlight]);
  }
}
