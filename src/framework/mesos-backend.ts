import { EventEmitter } from 'events';
import { Logger } from '../common/logger';
import { Backoff } from '../mesos/backoff';
import type { SchedulerClient, SubscribedInfo } from '../mesos/scheduler';
import { MesosCallError } from '../mesos/scheduler';
import type { ExecutorInfo, Offer, SchedulerFailure, TaskInfo, TaskStatus } from '../mesos/types';
import { ExecutorChooser, ExecutorTemplate, isOurExecutorId } from './executor-identity';
import { OfferPool } from './offer-resources';
import { PiFramework, TERMINAL_FAILURES } from './pi-framework';

const TERMINAL_STATES = new Set([...TERMINAL_FAILURES, 'TASK_FINISHED']);

export interface MesosBackendOptions {
  fw: PiFramework;
  client: SchedulerClient;
  logger: Logger;
  /** What every executor runs; its resources are carved from each offer, its ID derived from both. */
  executor: ExecutorTemplate;
  role: string;
  /** The setting an admin changes when the executor cannot start on an agent (named in the error). */
  executorHint?: string;
  /** What to check when an executor dies before running a task for another reason (e.g. the fetch failed). */
  fetchHint?: string;
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
  /** Explicit reconciliation of tasks not yet answered after a (re)subscription: first retry after this, doubling. */
  reconcileRetryMs?: number;
  reconcileRetryMaxMs?: number;
  /** Backoff of a failed ACKNOWLEDGE or REVIVE (default 1 s doubling to 30 s). */
  callRetryMs?: number;
  callRetryMaxMs?: number;
  /** How long an agent whose executor could not start gets no tasks (doubling to 10 min). */
  agentBackoffMs?: number;
  now?: () => number;
  /** The timers of retries and the revive rate limit: tests drive them on a clock of their own. */
  timers?: Timers;
}

export interface Timers {
  set(f: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  set: (f, ms) => setTimeout(f, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Why nothing is running, for the display's framework page. */
export type IdleReason = 'done' | 'suppressed' | 'no offers' | 'offers too small' | 'not subscribed' | null;

/** Wait status of an executor as Mesos reports it (FAILURE.status): the exit code, or null if signalled. */
export function exitCodeOf(status: number): number | null {
  return (status & 0x7f) === 0 ? (status >> 8) & 0xff : null;
}

/** The signal that ended a process, from a FAILURE wait status; null for an exit, or none known (-1). */
function signalOf(status: number | undefined): number | null {
  return status === undefined || status < 0 || exitCodeOf(status) !== null ? null : status & 0x7f;
}

/** A FAILURE status in words: an exit status, a signal, or none known (Mesos sends -1 when the launch itself failed). */
function describeStatus(status: number | undefined): string {
  if (status === undefined || status < 0) return 'no exit status: the launch itself failed';
  const signal = signalOf(status);
  return signal !== null ? `signal ${signal}` : `exit status ${exitCodeOf(status)}`;
}

/**
 * Failures that say nothing about the range: the launch met an executor that had just exited
 * (idle exit racing an offer that still listed it), an offer that was gone, or an executor that
 * could not start on that agent (the agent is backed off instead). Such a range is requeued at
 * once, at the same attempt.
 */
export function isRangeBlameless(status: TaskStatus, reachedRunning: boolean): boolean {
  if (reachedRunning) return false;
  if (status.reason === 'REASON_EXECUTOR_TERMINATED' || status.reason === 'REASON_INVALID_OFFERS') return true;
  return status.reason === 'REASON_TASK_INVALID' && /required by task and its executor is more than available/.test(status.message ?? '');
}

/**
 * Runs the pi framework on Mesos: offers become launches through PiFramework.plan(), status
 * updates go to PiFramework.onUpdate() and are acknowledged only after the ledger has them on
 * disk. Task and executor resources are copies of the offer's own entries (reservations and
 * allocation_info kept). Reconciles after every (re)subscription until each adopted task is
 * answered, and periodically; suppresses offers when there is no work and revives (rate-limited,
 * retried) when there is again; retries failed acknowledgements; times out tasks stuck in STAGING.
 */
export class MesosBackend extends EventEmitter {
  private readonly taskCpus: number;
  private readonly taskMemMb: number;
  private readonly now: () => number;
  private readonly clock: Timers;
  private readonly executors: ExecutorChooser;
  private suppressed = false;
  private lastReviveAt = 0;
  private reviveTimer?: unknown;
  private tick?: NodeJS.Timeout;
  private lastReconcileAt = 0;
  /** Tasks seen past STAGING, by id. */
  private readonly started = new Set<string>();
  /** Tasks seen RUNNING (their failures are the range's, not the executor's start). */
  private readonly reachedRunning = new Set<string>();
  /**
   * Tasks reported FINISHED without their result (reconciliation: the master strips
   * TaskStatus.data), by when. The live update with the data is still coming from the agent, so
   * the range is not rerun at once; only if the data never arrives is it requeued.
   */
  private readonly finishedNoData = new Map<string, number>();
  /**
   * Tasks adopted at a (re)subscription that the master has not answered yet. After a master
   * failover the new leader says nothing of tasks on agents that have not re-registered, so they
   * are asked for again, with backoff, until answered (or declared lost by Mesos).
   */
  private readonly unanswered = new Set<string>();
  private reconcileBackoff: Backoff;
  private nextReconcileRetryAt = 0;
  /** Our live executor on each agent, as the offers and FAILURE events tell (for the cluster page). */
  readonly liveExecutors = new Map<string, ExecutorInfo>();
  /** The executor each task in flight was launched with, as agent/executor keys. */
  private readonly taskExecutor = new Map<string, string>();
  /** Executors (agent/executor keys) that ran a task: their later exit is no failure to start. */
  private readonly executorRan = new Set<string>();
  /** Agents where an executor was killed by a signal before running a task, since one last ran a task there. */
  private readonly earlySignalDeaths = new Set<string>();
  /** Agents whose executor could not start: no tasks there until then. */
  private readonly agentBackoff = new Map<string, { until: number; delayMs: number; host: string }>();
  private readonly agentHosts = new Map<string, string>();
  /** Agents already told of as lacking the task user (said once each). */
  private readonly userErrorAgents = new Set<string>();
  /** First attempts of acknowledgements still in flight: stop() waits for them. */
  private readonly pendingAcks = new Set<Promise<unknown>>();
  private subscribedAt = 0;
  private subscription = 0;
  lastOfferAt = 0;
  lastOfferTooSmall = false;
  offersReceived = 0;
  offersDeclined = 0;
  tasksLaunched = 0;
  private stopping = false;
  private updateChain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<unknown>();

  constructor(private readonly o: MesosBackendOptions) {
    super();
    this.taskCpus = o.taskCpus ?? 1;
    this.taskMemMb = o.taskMemMb ?? 64;
    this.now = o.now ?? Date.now;
    this.clock = o.timers ?? REAL_TIMERS;
    this.executors = new ExecutorChooser(o.executor, o.role);
    this.reconcileBackoff = this.newReconcileBackoff();
    const c = o.client;
    c.on('subscribed', (info) => void this.onSubscribed(info));
    c.on('offers', (offers) => void this.onOffers(offers));
    c.on('update', (status) => { this.updateChain = this.updateChain.then(() => this.onStatus(status)); });
    c.on('rescind', (id) => o.logger.debug(`offer ${id.value} rescinded`));
    c.on('failure', (f) => this.onFailure(f));
    c.on('disconnected', () => { this.subscription++; });
    o.fw.on('superseded', (t: { taskId: string; agentId: string }) => {
      void c.kill(t.taskId, t.agentId).catch((e) => o.logger.debug(`kill ${t.taskId}: ${(e as Error).message}`));
    });
  }

  private newReconcileBackoff(): Backoff {
    const initialMs = this.o.reconcileRetryMs ?? 5000;
    return new Backoff({ initialMs, maxMs: Math.max(initialMs, this.o.reconcileRetryMaxMs ?? 60_000), random: () => 0.999 });
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
    if (this.reviveTimer !== undefined) this.clock.clear(this.reviveTimer);
    for (const t of this.timers) this.clock.clear(t);
    await this.updateChain.catch(() => undefined);
    // The last update of a finished run must be acknowledged before the stream closes, or its
    // agent re-sends it for as long as the framework lives (the master keeps the task too).
    await Promise.race([Promise.allSettled([...this.pendingAcks]), new Promise((r) => setTimeout(r, 5000).unref())]);
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
    this.subscription++;
    // The tasks in flight now are the ones to adopt; launches from offers on this new stream are not.
    const adopt = this.o.fw.ledger.tasks();
    this.subscribedAt = this.now();
    this.suppressed = false;
    this.unanswered.clear();
    for (const t of adopt) this.unanswered.add(t.taskId);
    this.reconcileBackoff = this.newReconcileBackoff();
    this.nextReconcileRetryAt = this.now() + this.reconcileBackoff.next();
    this.o.logger.debug(`backend: subscribed as ${info.frameworkId}, adopting ${adopt.length} tasks`);
    if (fw.frameworkId !== info.frameworkId) {
      fw.frameworkId = info.frameworkId;
      // Not on disk yet (a state directory that takes no write) is no loss: every launch waits for
      // a checkpoint, and that one carries the ID too.
      await fw.persist().catch((e) => this.o.logger.error(`cannot record the framework ID on disk (${(e as Error).message}); the next checkpoint will`));
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

  private onFailure(f: SchedulerFailure): void {
    const agentId = f.agent_id?.value;
    const executorId = f.executor_id?.value;
    if (!agentId || !executorId || !isOurExecutorId(executorId)) {
      this.o.logger.warn(`failure reported: agent ${agentId ?? '?'}${executorId ? ` executor ${executorId}` : ''}${f.status !== undefined ? ` status ${f.status}` : ''}`);
      return;
    }
    if (this.liveExecutors.get(agentId)?.executor_id.value === executorId) this.liveExecutors.delete(agentId);
    const code = f.status === undefined || f.status < 0 ? null : exitCodeOf(f.status);
    if (code === 0) {
      this.o.logger.info(`executor ${executorId} on agent ${agentId} exited`);
      return;
    }
    const key = `${agentId}/${executorId}`;
    const neverRan = !this.executorRan.has(key);
    this.executorRan.delete(key);
    const signal = signalOf(f.status);
    if (neverRan && signal !== null) {
      // Killed before its first task (an operator's kill, the OOM killer, an agent going down)
      // says nothing about starting there (chaos soak: each such kill kept the agent idle 30 s).
      // A second such death on the agent (or one while it is backed off) is backed off below,
      // until an executor there runs a task: an executor that crashes whenever it starts would
      // otherwise take the ranges round in a loop, forgiven again at every expiry.
      const earlier = this.earlySignalDeaths.has(agentId) || this.agentBackoff.has(agentId);
      this.earlySignalDeaths.add(agentId);
      if (!earlier) {
        this.o.logger.warn(`executor ${executorId} on agent ${this.agentHosts.get(agentId) ?? agentId} was killed (signal ${signal}) before running a task; its tasks go back to the queue`);
        return;
      }
    }
    if (code === 126 || code === 127 || neverRan) {
      // It died before running any task: the next launch there would die the same way, and its
      // ranges (requeued at once, see isRangeBlameless) would go round in a tight loop.
      const prev = this.agentBackoff.get(agentId);
      const delayMs = prev ? Math.min(600_000, prev.delayMs * 2) : (this.o.agentBackoffMs ?? 30_000);
      const host = prev?.host ?? this.agentHosts.get(agentId) ?? agentId;
      this.agentBackoff.set(agentId, { until: this.now() + delayMs, delayMs, host });
      const what = code === 127 ? 'a program it runs was not found (exit status 127)'
        : code === 126 ? 'a program it runs is not executable (exit status 126)'
          : `it ended before running a task (${describeStatus(f.status)}; a fetch that failed is exit status 1)`;
      // Any other early end may be the fetch, the user or the program: name all three settings.
      const hint = code === 126 || code === 127 ? `${this.o.executorHint ?? ''} ` : `${this.o.fetchHint ?? ''} ${this.o.executorHint ?? ''} `;
      this.o.logger.error(`the executor could not start on agent ${host}: ${what}. ${hint}`
        + `No tasks go to that agent for ${Math.round(delayMs / 1000)} s; the executor sandbox's stderr says more.`);
      return;
    }
    this.o.logger.warn(`executor ${executorId} on agent ${agentId} ended: ${describeStatus(f.status)}`);
  }

  private async decline(offer: Offer, refuseSeconds: number, why: string): Promise<void> {
    this.offersDeclined++;
    this.o.logger.debug(`declining offer ${offer.id.value} from ${offer.hostname} (${why})`);
    await this.o.client.decline([offer.id], { refuse_seconds: refuseSeconds }).catch((e) => this.o.logger.warn(`decline failed: ${(e as Error).message}`));
  }

  private async onOffers(offers: Offer[]): Promise<void> {
    const fw = this.o.fw;
    this.lastOfferAt = this.now();
    this.offersReceived += offers.length;
    for (const offer of offers) {
      const agentId = offer.agent_id.value;
      const ours = (offer.executor_ids ?? []).map((e) => e.value).filter(isOurExecutorId);
      const liveInfo = ours.map((id) => this.executors.get(id)).find((x) => x);
      if (liveInfo) this.liveExecutors.set(agentId, liveInfo);
      else if (ours.length === 0) this.liveExecutors.delete(agentId);
      if (this.stopping) {
        await this.decline(offer, this.o.declineRefuseSeconds ?? 600, 'stopping');
        continue;
      }
      this.agentHosts.set(agentId, offer.hostname);
      const backoff = this.agentBackoff.get(agentId);
      if (backoff) backoff.host = offer.hostname;
      if (backoff && backoff.until > this.now()) {
        await this.decline(offer, Math.max(1, Math.ceil((backoff.until - this.now()) / 1000)), 'its executor could not start');
        continue;
      }
      const pool = new OfferPool(offer.resources, this.o.role);
      const exec = fw.ledger.drained ? null : this.executors.choose(offer, pool);
      let slots = 0;
      if (exec) {
        const probe: ReturnType<OfferPool['take']>[] = [];
        for (;;) {
          const t = pool.take({ cpus: this.taskCpus, mem: this.taskMemMb });
          if (!t) break;
          probe.push(t);
        }
        slots = probe.length;
        for (const t of probe) pool.giveBack(t!);
      }
      this.lastOfferTooSmall = slots === 0 && !fw.ledger.drained;
      const planned = slots > 0 ? fw.plan(agentId, slots) : [];
      if (planned.length === 0) {
        // A long filter is safe: Mesos holds back only offers made entirely of the refused
        // resources, so anything freed later (a finished task) is offered again at once.
        await this.decline(offer, this.o.declineRefuseSeconds ?? 600, `${slots} slots`);
        if (fw.ledger.drained) await this.suppress();
        continue;
      }
      // Intent on disk before the launch leaves this process.
      try {
        await fw.persist();
      } catch (e) {
        // A full or read-only state directory (chaos soak): no launch without its record, and no
        // crash either (status 70, five in five minutes end the unit). The ranges go back as they
        // were, the offer is declined briefly, and the next offer tries the disk again.
        this.o.logger.error(`cannot record a launch on disk (${(e as Error).message}); declining the offer`);
        for (const p of planned) fw.ledger.fail(p.taskId, () => 0, true);
        await this.decline(offer, 5, 'the state directory took no write');
        continue;
      }
      const infos: TaskInfo[] = planned.map((p) => ({
        name: `pi ${p.task.rangeId}`,
        task_id: { value: p.taskId },
        agent_id: offer.agent_id,
        resources: pool.take({ cpus: this.taskCpus, mem: this.taskMemMb })!,
        executor: exec!.info,
        data: p.payload,
      }));
      try {
        await this.o.client.launch([offer.id], infos, { refuse_seconds: 1 });
        this.tasksLaunched += infos.length;
        for (const t of infos) this.taskExecutor.set(t.task_id.value, `${agentId}/${exec!.info.executor_id.value}`);
        this.liveExecutors.set(agentId, exec!.info);
        this.o.logger.debug(`launched ${infos.length} tasks on ${offer.hostname} (executor ${exec!.info.executor_id.value}${exec!.live ? ', running' : ', new'})`);
      } catch (e) {
        this.o.logger.warn(`launch on ${offer.hostname} failed (${(e as Error).message}); requeueing ${infos.length} ranges`);
        for (const p of planned) await fw.onUpdate({ taskId: p.taskId, state: 'TASK_DROPPED', message: 'launch call failed', blameless: true });
      }
    }
  }

  private async onStatus(status: TaskStatus): Promise<void> {
    const id = status.task_id.value;
    const agentId = status.agent_id?.value;
    this.unanswered.delete(id);
    if (status.state !== 'TASK_STAGING') this.started.add(id);
    if (status.state === 'TASK_RUNNING') {
      // One line at the start and one at the end of each task: task timelines from the log alone.
      if (!this.reachedRunning.has(id)) this.o.logger.debug(`task ${id} running on agent ${agentId ?? '?'}`);
      this.reachedRunning.add(id);
      const key = this.taskExecutor.get(id) ?? (agentId && status.executor_id ? `${agentId}/${status.executor_id.value}` : undefined);
      if (key) {
        this.executorRan.add(key);
        // An executor runs tasks there: whatever failed to start before is over.
        const agent = key.slice(0, key.indexOf('/'));
        this.agentBackoff.delete(agent);
        this.earlySignalDeaths.delete(agent);
      }
    }
    if (status.state === 'TASK_FINISHED' && !status.data?.length && !status.uuid?.length) {
      if (this.o.fw.ledger.task(id)) {
        if (!this.finishedNoData.has(id)) this.finishedNoData.set(id, this.now());
        this.o.logger.debug(`task ${id} reported finished without its result; waiting for the agent's update`);
      } else {
        // The answer to a reconciliation sent before the task's live TASK_FINISHED came in: that
        // one carried the result. Taken for a result, it was a warning that ranges went back to
        // the queue (none did) several times an hour in the chaos soak.
        this.o.logger.debug(`task ${id} reported finished by the master; nothing in flight to count`);
      }
      return;
    }
    this.finishedNoData.delete(id);
    if (TERMINAL_STATES.has(status.state) && status.reason !== 'REASON_RECONCILIATION') this.o.logger.debug(`task ${id} ended: ${status.state}`);
    const blameless = isRangeBlameless(status, this.reachedRunning.has(id));
    const noUser = /No such user '([^']*)'/.exec(status.message ?? '');
    if (noUser && agentId && !this.userErrorAgents.has(agentId)) {
      this.userErrorAgents.add(agentId);
      this.o.logger.error(`the task user '${noUser[1]}' does not exist on agent ${this.agentHosts.get(agentId) ?? agentId}: set --user (PI_MESOS_USER) to a user every agent has`);
    }
    if (blameless && agentId && /executor/.test(status.message ?? '') && status.state === 'TASK_ERROR') this.liveExecutors.delete(agentId);
    try {
      await this.o.fw.onUpdate({ taskId: id, state: status.state, agentId, data: status.data, message: status.message, reason: status.reason, blameless });
    } catch (e) {
      // Not persisted: do not acknowledge, so Mesos sends it again.
      this.o.logger.error(`status update for ${id} not recorded; it will be re-sent`, e);
      return;
    }
    if (!this.o.fw.ledger.task(id)) {
      this.started.delete(id);
      this.reachedRunning.delete(id);
      this.taskExecutor.delete(id);
    }
    this.acknowledge(status);
    this.maybeRevive();
  }

  /**
   * ACKNOWLEDGE, retried while this subscription lasts: until it is acknowledged the agent holds
   * back every later update of the task and re-sends this one only after a backoff that grows
   * towards 10 minutes. A new subscription makes the agent re-send it anyway.
   */
  private acknowledge(status: TaskStatus): void {
    const subscription = this.subscription;
    const backoff = new Backoff({ initialMs: this.o.callRetryMs ?? 1000, maxMs: this.o.callRetryMaxMs ?? 30_000 });
    let first = true;
    const attempt = (): void => {
      // The first try goes out even while stopping: stop() waits for it (a finished run's last update).
      if ((this.stopping && !first) || subscription !== this.subscription) return;
      first = false;
      const sent = this.o.client.acknowledge(status);
      const tracked = sent.then(() => undefined, () => undefined);
      this.pendingAcks.add(tracked);
      void tracked.then(() => this.pendingAcks.delete(tracked));
      sent.then(() => undefined, (e) => {
        if (this.stopping || subscription !== this.subscription) return;
        if (e instanceof MesosCallError && e.status === 400) {
          this.o.logger.error(`acknowledge ${status.task_id.value} refused as malformed: ${e.message}`);
          return;
        }
        const delay = backoff.next();
        this.o.logger.warn(`acknowledge ${status.task_id.value} failed (${(e as Error).message}); retrying in ${(delay / 1000).toFixed(1)} s`);
        this.later(delay, attempt);
      });
    };
    attempt();
  }

  private later(ms: number, f: () => void): void {
    const t = this.clock.set(() => { this.timers.delete(t); f(); }, ms);
    (t as Partial<NodeJS.Timeout>).unref?.();
    this.timers.add(t);
  }

  private async suppress(): Promise<void> {
    if (this.suppressed) return;
    this.suppressed = true;
    this.o.logger.info('no work to hand out: suppressing offers');
    await this.o.client.suppress([this.o.role]).catch((e) => {
      // Not suppressed after all: the next declined offer tries again.
      this.suppressed = false;
      this.o.logger.warn(`suppress failed: ${(e as Error).message}`);
    });
  }

  private maybeRevive(): void {
    if (!this.suppressed || this.o.fw.ledger.drained || this.stopping) return;
    const wait = this.lastReviveAt + (this.o.reviveIntervalMs ?? 5000) - this.now();
    if (wait > 0) {
      this.reviveTimer ??= this.clock.set(() => { this.reviveTimer = undefined; this.maybeRevive(); }, wait);
      return;
    }
    this.suppressed = false;
    this.lastReviveAt = this.now();
    this.o.logger.info('work to hand out again: reviving offers');
    void this.o.client.revive([this.o.role]).catch((e) => {
      // Still suppressed at the master: try again after the rate limit, or the queue waits forever.
      this.o.logger.warn(`revive failed: ${(e as Error).message}; retrying`);
      if (!this.stopping && this.o.client.subscribed) {
        this.suppressed = true;
        this.maybeRevive();
      }
    });
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
    for (const id of this.unanswered) if (!this.o.fw.ledger.task(id)) this.unanswered.delete(id);
    if (this.unanswered.size > 0 && t >= this.nextReconcileRetryAt) {
      this.nextReconcileRetryAt = t + this.reconcileBackoff.next();
      const which = this.o.fw.ledger.tasks().filter((x) => this.unanswered.has(x.taskId));
      this.o.logger.info(`${which.length} tasks not answered by the master yet (agents still re-registering?): asking again`);
      void this.reconcile(which);
    }
    for (const task of this.o.fw.ledger.tasks()) {
      // Tasks adopted after a restart get the full timeout from the subscription, and none at
      // all while the master has not answered for them (their agent may still be re-registering).
      if (this.started.has(task.taskId) || this.unanswered.has(task.taskId) || t - Math.max(task.launchedAt, this.subscribedAt) < limit) continue;
      this.o.logger.warn(`task ${task.taskId} stuck in STAGING for ${Math.round((t - task.launchedAt) / 1000)} s: killing it`);
      void this.o.client.kill(task.taskId, task.agentId).catch(() => undefined);
      this.updateChain = this.updateChain.then(() => this.o.fw.onUpdate({ taskId: task.taskId, state: 'TASK_LOST', message: 'stuck in STAGING' }));
    }
    if (t - this.lastReconcileAt > (this.o.reconcileIntervalMs ?? 300_000)) void this.reconcile();
    this.maybeRevive();
  }
}
