import { EventEmitter } from 'events';
import { Logger } from '../common/logger';
import { scalarResource, scalarSum } from '../mesos/resources';
import type { SchedulerClient, SubscribedInfo } from '../mesos/scheduler';
import type { ExecutorInfo, Offer, TaskInfo, TaskStatus } from '../mesos/types';
import { PiFramework } from './pi-framework';

export interface MesosBackendOptions {
  fw: PiFramework;
  client: SchedulerClient;
  logger: Logger;
  /** The one ExecutorInfo every task carries (Mesos requires it byte-identical per executor). */
  executor: ExecutorInfo;
  role: string;
  taskCpus?: number;
  taskMemMb?: number;
  /** Filter for declined offers (long: an idle or full framework stays quiet). */
  declineRefuseSeconds?: number;
  /** Minimum time between REVIVE calls. */
  reviveIntervalMs?: number;
  /** A task with no update beyond STAGING for this long is killed and its range requeued. */
  stagingTimeoutMs?: number;
  reconcileIntervalMs?: number;
  /** How long to wait for the data of a task reported finished without it. */
  resultWaitMs?: number;
  now?: () => number;
}

/** Why nothing is running, for the display's framework page. */
export type IdleReason = 'done' | 'suppressed' | 'no offers' | 'offers too small' | 'not subscribed' | null;

/**
 * Runs the pi framework on Mesos: offers become launches through PiFramework.plan(), status
 * updates go to PiFramework.onUpdate() and are acknowledged only after the ledger has them on
 * disk. Reconciles after every (re)subscription and periodically, suppresses offers when there is
 * no work and revives (rate-limited) when there is again, and times out tasks stuck in STAGING.
 */
export class MesosBackend extends EventEmitter {
  private readonly taskCpus: number;
  private readonly taskMemMb: number;
  private readonly now: () => number;
  private suppressed = false;
  private lastReviveAt = 0;
  private reviveTimer?: NodeJS.Timeout;
  private tick?: NodeJS.Timeout;
  private lastReconcileAt = 0;
  /** Tasks seen past STAGING, by id. */
  private readonly started = new Set<string>();
  /**
   * Tasks reported FINISHED without their result (reconciliation: the master strips
   * TaskStatus.data), by when. The live update with the data is still coming from the agent, so
   * the range is not rerun at once; only if the data never arrives is it requeued.
   */
  private readonly finishedNoData = new Map<string, number>();
  private subscribedAt = 0;
  lastOfferAt = 0;
  lastOfferTooSmall = false;
  offersReceived = 0;
  offersDeclined = 0;
  tasksLaunched = 0;
  private stopping = false;
  private updateChain: Promise<void> = Promise.resolve();

  constructor(private readonly o: MesosBackendOptions) {
    super();
    this.taskCpus = o.taskCpus ?? 1;
    this.taskMemMb = o.taskMemMb ?? 64;
    this.now = o.now ?? Date.now;
    const c = o.client;
    c.on('subscribed', (info) => void this.onSubscribed(info));
    c.on('offers', (offers) => void this.onOffers(offers));
    c.on('update', (status) => { this.updateChain = this.updateChain.then(() => this.onStatus(status)); });
    c.on('rescind', (id) => o.logger.debug(`offer ${id.value} rescinded`));
    c.on('failure', (f) => o.logger.warn(`failure reported: agent ${f.agent_id?.value ?? '?'}${f.executor_id ? ` executor ${f.executor_id.value}` : ''}${f.status !== undefined ? ` status ${f.status}` : ''}`));
    o.fw.on('superseded', (t: { taskId: string; agentId: string }) => {
      void c.kill(t.taskId, t.agentId).catch((e) => o.logger.debug(`kill ${t.taskId}: ${(e as Error).message}`));
    });
  }

  start(): void {
    this.tick = setInterval(() => this.onTick(), 1000);
    this.tick.unref();
    this.o.client.start();
  }

  /** Stops launching; the framework stays registered and its tasks keep running (failover). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.tick) clearInterval(this.tick);
    if (this.reviveTimer) clearTimeout(this.reviveTimer);
    await this.updateChain.catch(() => undefined);
    await this.o.client.stop();
  }

  get tasksRunning(): number { return this.o.fw.ledger.inFlightCount; }

  idleReason(): IdleReason {
    if (this.o.fw.complete) return 'done';
    if (!this.o.client.subscribed) return 'not subscribed';
    if (this.tasksRunning > 0) return null;
    if (this.suppressed) return 'suppressed';
    if (this.lastOfferTooSmall) return 'offers too small';
    return 'no offers';
  }

  private async onSubscribed(info: SubscribedInfo): Promise<void> {
    const fw = this.o.fw;
    // The tasks in flight now are the ones to adopt; launches from offers on this new stream are not.
    const adopt = this.o.fw.ledger.tasks();
    this.subscribedAt = this.now();
    this.suppressed = false;
    this.o.logger.debug(`backend: subscribed as ${info.frameworkId}, adopting ${adopt.length} tasks`);
    if (fw.frameworkId !== info.frameworkId) {
      fw.frameworkId = info.frameworkId;
      await fw.persist();
    }
    await this.reconcile(adopt);
    this.emit('subscribed', info);
  }

  /** Asks the master for the state of the given tasks (default: every task in flight). */
  async reconcile(which = this.o.fw.ledger.tasks()): Promise<void> {
    this.lastReconcileAt = this.now();
    const tasks = which.map((t) => ({ task_id: t.taskId, agent_id: t.agentId }));
    if (tasks.length === 0) return;
    this.o.logger.info(`reconciling ${tasks.length} tasks`);
    await this.o.client.reconcile(tasks).catch((e) => this.o.logger.warn(`reconcile failed: ${(e as Error).message}`));
  }

  private slotsIn(offer: Offer): number {
    const cpus = scalarSum(offer.resources, 'cpus');
    const mem = scalarSum(offer.resources, 'mem');
    const ours = (offer.executor_ids ?? []).some((e) => e.value === this.o.executor.executor_id.value);
    const execCpus = ours ? 0 : scalarSum(this.o.executor.resources, 'cpus');
    const execMem = ours ? 0 : scalarSum(this.o.executor.resources, 'mem');
    // A small tolerance: Mesos rounds scalars to three decimals.
    return Math.max(0, Math.min(Math.floor((cpus - execCpus + 1e-6) / this.taskCpus), Math.floor((mem - execMem + 1e-6) / this.taskMemMb)));
  }

  private async onOffers(offers: Offer[]): Promise<void> {
    const fw = this.o.fw;
    this.lastOfferAt = this.now();
    this.offersReceived += offers.length;
    for (const offer of offers) {
      const slots = this.stopping ? 0 : this.slotsIn(offer);
      this.lastOfferTooSmall = slots === 0 && !this.stopping && !fw.ledger.drained;
      const planned = slots > 0 ? fw.plan(offer.agent_id.value, slots) : [];
      if (planned.length === 0) {
        this.offersDeclined++;
        this.o.logger.debug(`declining offer ${offer.id.value} from ${offer.hostname} (${slots} slots)`);
        // A long filter is safe: Mesos holds back only offers made entirely of the refused
        // resources, so anything freed later (a finished task) is offered again at once.
        await this.o.client.decline([offer.id], { refuse_seconds: this.o.declineRefuseSeconds ?? 600 }).catch((e) => this.o.logger.warn(`decline failed: ${(e as Error).message}`));
        if (fw.ledger.drained) await this.suppress();
        continue;
      }
      // Intent on disk before the launch leaves this process.
      await fw.persist();
      const infos: TaskInfo[] = planned.map((p) => ({
        name: `pi ${p.task.rangeId}`,
        task_id: { value: p.taskId },
        agent_id: offer.agent_id,
        resources: [scalarResource('cpus', this.taskCpus, this.o.role), scalarResource('mem', this.taskMemMb, this.o.role)],
        executor: this.o.executor,
        data: p.payload,
      }));
      try {
        await this.o.client.launch([offer.id], infos, { refuse_seconds: 1 });
        this.tasksLaunched += infos.length;
        this.o.logger.debug(`launched ${infos.length} tasks on ${offer.hostname}`);
      } catch (e) {
        this.o.logger.warn(`launch on ${offer.hostname} failed (${(e as Error).message}); requeueing ${infos.length} ranges`);
        for (const p of planned) await fw.onUpdate({ taskId: p.taskId, state: 'TASK_DROPPED', message: 'launch call failed' });
      }
    }
  }

  private async onStatus(status: TaskStatus): Promise<void> {
    const id = status.task_id.value;
    const agentId = status.agent_id?.value;
    if (status.state !== 'TASK_STAGING') this.started.add(id);
    if (status.state === 'TASK_FINISHED' && !status.data?.length && !status.uuid?.length && this.o.fw.ledger.task(id)) {
      if (!this.finishedNoData.has(id)) this.finishedNoData.set(id, this.now());
      this.o.logger.debug(`task ${id} reported finished without its result; waiting for the agent's update`);
      return;
    }
    this.finishedNoData.delete(id);
    try {
      await this.o.fw.onUpdate({ taskId: id, state: status.state, agentId, data: status.data, message: status.message, reason: status.reason });
    } catch (e) {
      // Not persisted: do not acknowledge, so Mesos sends it again.
      this.o.logger.error(`status update for ${id} not recorded; it will be re-sent`, e);
      return;
    }
    if (!this.o.fw.ledger.task(id)) this.started.delete(id);
    await this.o.client.acknowledge(status).catch((e) => this.o.logger.warn(`acknowledge ${id} failed: ${(e as Error).message}`));
    this.maybeRevive();
  }

  private async suppress(): Promise<void> {
    if (this.suppressed) return;
    this.suppressed = true;
    this.o.logger.info('no work to hand out: suppressing offers');
    await this.o.client.suppress([this.o.role]).catch((e) => this.o.logger.warn(`suppress failed: ${(e as Error).message}`));
  }

  private maybeRevive(): void {
    if (!this.suppressed || this.o.fw.ledger.drained || this.stopping) return;
    const wait = this.lastReviveAt + (this.o.reviveIntervalMs ?? 5000) - this.now();
    if (wait > 0) {
      this.reviveTimer ??= setTimeout(() => { this.reviveTimer = undefined; this.maybeRevive(); }, wait);
      return;
    }
    this.suppressed = false;
    this.lastReviveAt = this.now();
    this.o.logger.info('work to hand out again: reviving offers');
    void this.o.client.revive([this.o.role]).catch((e) => this.o.logger.warn(`revive failed: ${(e as Error).message}`));
  }

  private onTick(): void {
    if (!this.o.client.subscribed || this.stopping) return;
    const t = this.now();
    const limit = this.o.stagingTimeoutMs ?? 120_000;
    for (const [id, since] of this.finishedNoData) {
      if (t - since < (this.o.resultWaitMs ?? 120_000)) continue;
      this.finishedNoData.delete(id);
      this.o.logger.warn(`task ${id} finished but its result never arrived: requeueing its range`);
      this.updateChain = this.updateChain.then(() => this.o.fw.onUpdate({ taskId: id, state: 'TASK_LOST', message: 'result never delivered' }));
    }
    for (const task of this.o.fw.ledger.tasks()) {
      // Tasks adopted after a restart get the full timeout from the subscription, for reconciliation to answer.
      if (this.started.has(task.taskId) || t - Math.max(task.launchedAt, this.subscribedAt) < limit) continue;
      this.o.logger.warn(`task ${task.taskId} stuck in STAGING for ${Math.round((t - task.launchedAt) / 1000)} s: killing it`);
      void this.o.client.kill(task.taskId, task.agentId).catch(() => undefined);
      this.updateChain = this.updateChain.then(() => this.o.fw.onUpdate({ taskId: task.taskId, state: 'TASK_LOST', message: 'stuck in STAGING' }));
    }
    if (t - this.lastReconcileAt > (this.o.reconcileIntervalMs ?? 300_000)) void this.reconcile();
    this.maybeRevive();
  }
}
