// A Mesos v1 HTTP executor client, configured from the MESOS_* environment the agent sets.
// It keeps every status update until the agent ACKNOWLEDGEs it and, after losing the agent (an
// agent restart), resubscribes with the unacknowledged tasks and updates within the recovery
// timeout; past it, it gives up so the executor can exit.
import type { IncomingMessage } from 'http';
import { Logger, silentLogger } from '../common/logger';
import { Backoff } from './backoff';
import { encodingOfMediaType, Encoding, executorCallCodec, executorEventCodec, MEDIA_TYPES } from './codec';
import { parseMesosDuration } from './duration';
import { RecordIODecoder } from './recordio';
import { HttpTransport, StreamResponse } from './transport';
import { TypedEmitter } from './typed-emitter';
import type {
  ExecutorCall, ExecutorEvent, ExecutorSubscribed, KillPolicy, TaskGroupInfo, TaskID, TaskInfo, TaskStatus,
} from './types';
import { randomUuidBytes, uuidToString } from './uuid';

export const EXECUTOR_PATH = '/api/v1/executor';

export interface ExecutorEnvironment {
  frameworkId: string;
  executorId: string;
  /** "host:port" of the agent's executor API (MESOS_AGENT_ENDPOINT). */
  agentEndpoint: string;
  directory?: string;
  sandbox?: string;
  checkpoint: boolean;
  recoveryTimeoutMs: number;
  subscriptionBackoffMaxMs: number;
  shutdownGracePeriodMs?: number;
  authenticationToken?: string;
  /** https when MESOS_SSL_ENABLED is set (the agent then serves TLS). */
  scheme: 'http' | 'https';
}

/** Defaults of the agent flags --recovery_timeout and --executor_reregistration_timeout. */
const DEFAULT_RECOVERY_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_BACKOFF_MAX_MS = 2000;

export function readExecutorEnvironment(env: NodeJS.ProcessEnv = process.env): ExecutorEnvironment {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set: this program must be started by a Mesos agent as an executor`);
    return v;
  };
  const duration = (name: string, fallback: number): number => {
    const v = env[name];
    if (!v) return fallback;
    try {
      return parseMesosDuration(v);
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  };
  const checkpointText = (env.MESOS_CHECKPOINT ?? '').toLowerCase();
  const ssl = (env.MESOS_SSL_ENABLED ?? env.LIBPROCESS_SSL_ENABLED ?? '').toLowerCase();
  return {
    frameworkId: need('MESOS_FRAMEWORK_ID'),
    executorId: need('MESOS_EXECUTOR_ID'),
    agentEndpoint: need('MESOS_AGENT_ENDPOINT'),
    directory: env.MESOS_DIRECTORY,
    sandbox: env.MESOS_SANDBOX,
    checkpoint: checkpointText === '1' || checkpointText === 'true',
    recoveryTimeoutMs: duration('MESOS_RECOVERY_TIMEOUT', DEFAULT_RECOVERY_TIMEOUT_MS),
    subscriptionBackoffMaxMs: duration('MESOS_SUBSCRIPTION_BACKOFF_MAX', DEFAULT_BACKOFF_MAX_MS),
    shutdownGracePeriodMs: env.MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD
      ? duration('MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', 5000) : undefined,
    authenticationToken: env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN || undefined,
    scheme: ssl === '1' || ssl === 'true' ? 'https' : 'http',
  };
}

export type ExecutorStatus = 'idle' | 'connecting' | 'subscribed' | 'disconnected' | 'stopped' | 'gave_up';

export interface ExecutorClientEvents {
  subscribed: [info: ExecutorSubscribed];
  launch: [task: TaskInfo];
  launch_group: [group: TaskGroupInfo];
  kill: [taskId: TaskID, killPolicy: KillPolicy | undefined];
  acknowledged: [taskId: TaskID, uuid: Buffer];
  message: [data: Buffer];
  /** Kill every task, send their terminal updates, and exit. */
  shutdown: [];
  mesos_error: [message: string];
  heartbeat: [];
  disconnected: [reason: string];
  /** The agent stayed unreachable (past the recovery timeout, or checkpointing is off): exit. */
  give_up: [reason: string];
}

export interface ExecutorClientOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Or an explicit environment (tests). */
  environment?: ExecutorEnvironment;
  encoding?: Encoding;
  /** First resubscription delay (default 250 ms); the cap is MESOS_SUBSCRIPTION_BACKOFF_MAX. */
  backoffInitialMs?: number;
  logger?: Logger;
}

/** The fields an executor fills in; uuid, source, executor_id and timestamp are set by update(). */
export type ExecutorStatusInput = Omit<TaskStatus, 'uuid' | 'source' | 'executor_id' | 'timestamp'>;

interface PendingUpdate {
  status: TaskStatus;
  key: string;
}

export class ExecutorClient extends TypedEmitter<ExecutorClientEvents> {
  readonly environment: ExecutorEnvironment;
  private readonly logger: Logger;
  private readonly encoding: Encoding;
  private readonly transport: HttpTransport;
  private readonly backoff: Backoff;
  private readonly baseUrl: string;
  /** Unacknowledged updates in the order they were made. */
  private readonly pendingUpdates = new Map<string, PendingUpdate>();
  /** Tasks launched with no acknowledged update yet. */
  private readonly pendingTasks = new Map<string, TaskInfo>();
  private status: ExecutorStatus = 'idle';
  private stream: StreamResponse | undefined;
  private disconnectedSince: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private sendChain: Promise<void> = Promise.resolve();
  private subscriptionCount = 0;
  /** Updates that went out inside the last SUBSCRIBE call. */
  private sentWithSubscribe = new Set<string>();

  constructor(options: ExecutorClientOptions = {}) {
    super();
    this.environment = options.environment ?? readExecutorEnvironment(options.env ?? process.env);
    this.logger = options.logger ?? silentLogger;
    this.encoding = options.encoding ?? 'protobuf';
    this.transport = new HttpTransport({ bearerToken: this.environment.authenticationToken, requestTimeoutMs: 10_000 });
    const max = Math.max(1, this.environment.subscriptionBackoffMaxMs);
    this.backoff = new Backoff({ initialMs: Math.min(options.backoffInitialMs ?? 250, max), maxMs: max });
    this.baseUrl = `${this.environment.scheme}://${this.environment.agentEndpoint}`;
  }

  get state(): { status: ExecutorStatus; subscriptions: number; unacknowledgedUpdates: number; unacknowledgedTasks: number } {
    return {
      status: this.status,
      subscriptions: this.subscriptionCount,
      unacknowledgedUpdates: this.pendingUpdates.size,
      unacknowledgedTasks: this.pendingTasks.size,
    };
  }

  get unacknowledgedUpdates(): TaskStatus[] {
    return [...this.pendingUpdates.values()].map((p) => p.status);
  }

  start(): void {
    if (this.status !== 'idle') return;
    this.disconnectedSince = Date.now();
    void this.subscribe();
  }

  async stop(): Promise<void> {
    this.status = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stream?.close();
    this.stream = undefined;
    await this.sendChain.catch(() => undefined);
    this.transport.close();
  }

  /**
   * Sends a status update reliably: it gets a fresh uuid and is kept (and re-sent on
   * resubscription) until the agent acknowledges it. Returns the uuid.
   */
  update(input: ExecutorStatusInput): Buffer {
    const status: TaskStatus = {
      ...input,
      source: 'SOURCE_EXECUTOR',
      executor_id: { value: this.environment.executorId },
      timestamp: Date.now() / 1000,
      uuid: randomUuidBytes(),
    };
    const key = uuidToString(status.uuid as Buffer);
    this.pendingUpdates.set(key, { status, key });
    if (this.status === 'subscribed') this.enqueueSend(key);
    return status.uuid as Buffer;
  }

  /** A framework message to the scheduler: best effort, may be lost. */
  async message(data: Buffer): Promise<void> {
    await this.post({ ...this.callBase(), type: 'MESSAGE', message: { data } });
  }

  private callBase(): Pick<ExecutorCall, 'executor_id' | 'framework_id'> {
    return {
      executor_id: { value: this.environment.executorId },
      framework_id: { value: this.environment.frameworkId },
    };
  }

  private async post(call: ExecutorCall): Promise<void> {
    const res = await this.transport.request(this.baseUrl + EXECUTOR_PATH, 'POST', {
      'Content-Type': MEDIA_TYPES[this.encoding],
      Accept: MEDIA_TYPES[this.encoding],
    }, executorCallCodec.encode(call, this.encoding));
    if (res.status !== 202 && res.status !== 200) {
      throw new Error(`agent refused ${call.type}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 300)}`.trim());
    }
  }

  /** Updates go one at a time, so the agent sees them in the order they were made. */
  private enqueueSend(key: string): void {
    this.sendChain = this.sendChain.then(async () => {
      const pending = this.pendingUpdates.get(key);
      if (!pending || this.status !== 'subscribed') return;
      try {
        await this.post({ ...this.callBase(), type: 'UPDATE', update: { status: pending.status } });
      } catch (err) {
        // Kept: it goes out again with the next SUBSCRIBE.
        this.logger.warn(`UPDATE ${pending.status.state} for task ${pending.status.task_id.value} not delivered (${(err as Error).message}); kept for resubscription`);
      }
    });
  }

  private async subscribe(): Promise<void> {
    if (this.status === 'stopped' || this.status === 'gave_up') return;
    this.status = 'connecting';
    const call: ExecutorCall = {
      ...this.callBase(),
      type: 'SUBSCRIBE',
      subscribe: {
        unacknowledged_tasks: [...this.pendingTasks.values()],
        unacknowledged_updates: [...this.pendingUpdates.values()].map((p) => ({ status: p.status })),
      },
    };
    this.sentWithSubscribe = new Set(this.pendingUpdates.keys());
    let res: StreamResponse;
    try {
      res = await this.transport.openStream(this.baseUrl + EXECUTOR_PATH, {
        'Content-Type': MEDIA_TYPES[this.encoding],
        Accept: MEDIA_TYPES[this.encoding],
        Connection: 'close',
      }, executorCallCodec.encode(call, this.encoding), 10_000);
    } catch (err) {
      this.retry(`cannot reach the agent at ${this.environment.agentEndpoint}: ${(err as Error).message}`);
      return;
    }
    if (this.status !== 'connecting') {
      res.close();
      return;
    }
    if (res.status !== 200) {
      this.retry(`agent answered SUBSCRIBE with HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`.trim());
      return;
    }
    this.stream = res;
    const decoder = new RecordIODecoder();
    const encoding = encodingOfMediaType(res.headers['content-type']) ?? this.encoding;
    const response: IncomingMessage = res.response;
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      if (this.stream === res) this.stream = undefined;
      res.close();
      this.lostAgent(reason);
    };
    response.on('data', (chunk: Buffer) => {
      if (ended) return;
      let records: Buffer[];
      try {
        records = decoder.push(chunk);
      } catch (err) {
        this.logger.error('malformed event stream from the agent', err);
        end((err as Error).message);
        return;
      }
      for (const record of records) {
        if (ended) return;
        let event: ExecutorEvent;
        try {
          event = executorEventCodec.decode(record, encoding);
        } catch (err) {
          this.logger.error('undecodable event from the agent', err);
          end((err as Error).message);
          return;
        }
        try {
          this.dispatch(event);
        } catch (err) {
          this.logger.error(`a listener of the ${event.type} event threw`, err);
        }
      }
    });
    response.on('end', () => end('the agent closed the event stream'));
    response.on('close', () => end('the agent connection closed'));
    response.on('error', (err) => end(`agent stream error: ${err.message}`));
  }

  private dispatch(event: ExecutorEvent): void {
    switch (event.type) {
      case 'SUBSCRIBED': {
        if (!event.subscribed) return;
        this.status = 'subscribed';
        this.subscriptionCount++;
        this.disconnectedSince = undefined;
        this.backoff.reset();
        this.logger.info(`executor ${this.environment.executorId} subscribed to the agent at ${this.environment.agentEndpoint}` +
          (this.pendingUpdates.size ? ` (${this.pendingUpdates.size} unacknowledged updates re-sent)` : ''));
        this.emit('subscribed', event.subscribed);
        // Updates made while the SUBSCRIBE was under way were not in it: send them now.
        for (const key of this.pendingUpdates.keys()) {
          if (!this.sentWithSubscribe.has(key)) this.enqueueSend(key);
        }
        return;
      }
      case 'LAUNCH':
        if (!event.launch) return;
        this.pendingTasks.set(event.launch.task.task_id.value, event.launch.task);
        this.emit('launch', event.launch.task);
        return;
      case 'LAUNCH_GROUP':
        if (!event.launch_group) return;
        for (const t of event.launch_group.task_group.tasks ?? []) this.pendingTasks.set(t.task_id.value, t);
        this.emit('launch_group', event.launch_group.task_group);
        return;
      case 'KILL':
        if (event.kill) this.emit('kill', event.kill.task_id, event.kill.kill_policy);
        return;
      case 'ACKNOWLEDGED': {
        const ack = event.acknowledged;
        if (!ack) return;
        this.pendingUpdates.delete(uuidToString(ack.uuid));
        this.pendingTasks.delete(ack.task_id.value);
        this.emit('acknowledged', ack.task_id, ack.uuid);
        return;
      }
      case 'MESSAGE':
        if (event.message) this.emit('message', event.message.data);
        return;
      case 'SHUTDOWN':
        this.emit('shutdown');
        return;
      case 'ERROR':
        this.logger.error(`the agent sent ERROR: ${event.error?.message}`);
        this.emit('mesos_error', event.error?.message ?? 'unspecified error');
        return;
      case 'HEARTBEAT':
        this.emit('heartbeat');
        return;
      default:
        this.logger.debug(`ignoring executor event ${event.type}`);
    }
  }

  private lostAgent(reason: string): void {
    if (this.status === 'stopped' || this.status === 'gave_up') return;
    const wasSubscribed = this.status === 'subscribed';
    this.status = 'disconnected';
    if (wasSubscribed) {
      this.disconnectedSince = Date.now();
      this.logger.warn(`lost the agent: ${reason}`);
      this.emit('disconnected', reason);
      if (!this.environment.checkpoint) {
        this.giveUp(`lost the agent (${reason}) and the framework does not checkpoint`);
        return;
      }
    }
    this.retry(reason);
  }

  private retry(reason: string): void {
    if (this.status === 'stopped' || this.status === 'gave_up') return;
    this.status = 'disconnected';
    const since = this.disconnectedSince ?? Date.now();
    const elapsed = Date.now() - since;
    if (elapsed >= this.environment.recoveryTimeoutMs) {
      this.giveUp(`agent unreachable for ${elapsed} ms, past the recovery timeout of ${this.environment.recoveryTimeoutMs} ms (${reason})`);
      return;
    }
    const delay = Math.min(this.backoff.next(), Math.max(1, this.environment.recoveryTimeoutMs - elapsed));
    this.logger.debug(`resubscribing to the agent in ${delay} ms (${reason})`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.subscribe();
    }, delay);
  }

  private giveUp(reason: string): void {
    this.status = 'gave_up';
    this.logger.error(`giving up: ${reason}`);
    this.transport.close();
    this.emit('give_up', reason);
  }
}
