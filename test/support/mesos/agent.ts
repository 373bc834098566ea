// A test Mesos agent: serves the v1 executor API on loopback, starts the executor named in
// ExecutorInfo.command as a real child process with the MESOS_* environment, and relays status
// updates to the framework through the master, retried until acknowledged, one at a time per task.
import { ChildProcess, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { Socket } from 'net';
import * as os from 'os';
import * as path from 'path';
import { executorCallCodec, executorEventCodec } from '../../../src/mesos/codec';
import { formatMesosDuration } from '../../../src/mesos/duration';
import {
  ExecutorCall, ExecutorEvent, ExecutorInfo, FrameworkInfo, isTerminalTaskState, TaskInfo, TaskState, TaskStatus,
} from '../../../src/mesos/types';
import { randomUuidBytes, uuidToString } from '../../../src/mesos/uuid';
import type { TestMesosCluster } from './cluster';
import { negotiate, readBody, RecordIOStream, reply, trackSockets } from './http-util';
import { fetchUri } from './fetcher';
import type { Quantities } from './resources';

export interface TestAgentOptions {
  id: string;
  hostname?: string;
  cpus?: number;
  /** MB. */
  mem?: number;
  /** MB. */
  disk?: number;
  /** MESOS_RECOVERY_TIMEOUT for checkpointing executors (default 15 min, as Mesos). */
  recoveryTimeoutMs?: number;
  /** MESOS_SUBSCRIPTION_BACKOFF_MAX (default 2 s, as Mesos). */
  subscriptionBackoffMaxMs?: number;
  /** MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: SHUTDOWN → SIGKILL (default 5 s). */
  executorShutdownGracePeriodMs?: number;
  /** Extra environment for executors (the agent's own environment is inherited, as in Mesos). */
  env?: Record<string, string>;
  /** Keep the sandboxes after stop() (for debugging). */
  keepWorkDir?: boolean;
}

export interface AgentExecutor {
  frameworkId: string;
  executorId: string;
  info: ExecutorInfo;
  frameworkInfo: FrameworkInfo;
  containerId: string;
  sandbox: string;
  process?: ChildProcess;
  stream?: RecordIOStream;
  /** Tasks waiting for the executor to subscribe. */
  queued: TaskInfo[];
  tasks: Map<string, { info: TaskInfo; state: TaskState }>;
  subscribeCount: number;
  /** The `subscribe` part of the latest SUBSCRIBE call. */
  lastSubscribe?: ExecutorCall['subscribe'];
  seenUuids: Set<string>;
  shuttingDown: boolean;
  killTimer?: NodeJS.Timeout;
  exited?: Promise<void>;
}

interface UpdateStream {
  frameworkId: string;
  queue: TaskStatus[];
  timer?: NodeJS.Timeout;
}

/**
 * Kills an executor and everything it started, as Mesos does by destroying the container: each
 * executor runs in its own process group (a shell command's child would otherwise outlive it).
 */
function killTree(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

export class TestAgent {
  readonly id: string;
  readonly hostname: string;
  readonly total: Quantities;
  port = 0;
  running = false;
  registeredAt = Date.now();
  readonly executors = new Map<string, AgentExecutor>();
  readonly faults = {
    /** Executor UPDATEs are answered 202 but lost (as if the agent died before checkpointing). */
    dropExecutorUpdates: false,
  };
  readonly droppedUpdates: TaskStatus[] = [];
  /** Every executor call received, in order. */
  readonly calls: ExecutorCall[] = [];
  readonly workDir: string;
  private server: http.Server | undefined;
  private sockets: Set<Socket> | undefined;
  private readonly updateStreams = new Map<string, UpdateStream>();
  private crashed = false;

  constructor(private readonly cluster: TestMesosCluster, private readonly options: TestAgentOptions) {
    this.id = options.id;
    this.hostname = options.hostname ?? `agent-${options.id}`;
    this.total = { cpus: options.cpus ?? 4, mem: options.mem ?? 1024 };
    if (options.disk !== undefined) this.total.disk = options.disk;
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-agent-'));
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => reply(res, 500, `test agent error: ${err.message}`));
    });
    this.sockets = trackSockets(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    this.running = true;
    // Recovered updates go out again at once.
    for (const key of this.updateStreams.keys()) this.forward(key);
  }

  /** Kills every executor and closes the agent. */
  async stop(): Promise<void> {
    await this.shutdownAll();
    if (!this.options.keepWorkDir) fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  /** The machine dies: executors are killed, nothing more is reported. */
  async crash(): Promise<void> {
    this.crashed = true;
    await this.shutdownAll();
  }

  /**
   * The agent process restarts: every connection is cut, the API comes back on the same port
   * after `downMs`, executors keep running and must resubscribe (Mesos agent recovery).
   */
  async restart(downMs = 0): Promise<void> {
    this.running = false;
    await this.closeServer();
    for (const e of this.executors.values()) e.stream = undefined;
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  private async shutdownAll(): Promise<void> {
    this.running = false;
    for (const s of this.updateStreams.values()) if (s.timer) clearTimeout(s.timer);
    const exits: Promise<void>[] = [];
    for (const e of this.executors.values()) {
      if (e.killTimer) clearTimeout(e.killTimer);
      if (e.process && e.process.exitCode === null && e.process.signalCode === null) {
        killTree(e.process);
      }
      if (e.exited) exits.push(e.exited);
    }
    await Promise.all(exits);
    await this.closeServer();
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets ?? []) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- from the master ----

  launch(frameworkInfo: FrameworkInfo, executorInfo: ExecutorInfo, task: TaskInfo): void {
    const frameworkId = frameworkInfo.id?.value as string;
    const key = `${frameworkId}/${executorInfo.executor_id.value}`;
    const e = this.executors.get(key) ?? this.startExecutor(frameworkInfo, executorInfo);
    if (e.stream && !e.stream.closed) this.sendLaunch(e, task);
    else e.queued.push(task);
  }

  killTask(frameworkId: string, taskId: string): void {
    for (const e of this.executors.values()) {
      if (e.frameworkId !== frameworkId) continue;
      const i = e.queued.findIndex((t) => t.task_id.value === taskId);
      if (i >= 0) {
        const [task] = e.queued.splice(i, 1);
        this.agentUpdate(frameworkId, task, 'TASK_KILLED', 'REASON_TASK_KILLED_DURING_LAUNCH', 'Killed before delivery to the executor', e.executorId);
        return;
      }
      if (e.tasks.has(taskId)) {
        this.sendToExecutor(e, { type: 'KILL', kill: { task_id: { value: taskId } } });
        return;
      }
    }
  }

  shutdownExecutor(frameworkId: string, executorId: string): void {
    const e = this.executors.get(`${frameworkId}/${executorId}`);
    if (!e || e.shuttingDown) return;
    e.shuttingDown = true;
    for (const task of e.queued.splice(0)) {
      this.agentUpdate(frameworkId, task, 'TASK_KILLED', 'REASON_EXECUTOR_TERMINATED', 'Executor shut down', executorId);
    }
    this.sendToExecutor(e, { type: 'SHUTDOWN' });
    const grace = this.options.executorShutdownGracePeriodMs ?? 5000;
    e.killTimer = setTimeout(() => { if (e.process) killTree(e.process); }, grace);
  }

  shutdownFramework(frameworkId: string): void {
    for (const e of this.executors.values()) if (e.frameworkId === frameworkId) this.shutdownExecutor(frameworkId, e.executorId);
    for (const [key, s] of this.updateStreams) {
      if (s.frameworkId === frameworkId) {
        if (s.timer) clearTimeout(s.timer);
        this.updateStreams.delete(key);
      }
    }
  }

  /** The framework acknowledged `uuid`: the next update of that task may go. */
  acknowledge(frameworkId: string, taskId: string, uuid: Buffer): void {
    const key = `${frameworkId}/${taskId}`;
    const s = this.updateStreams.get(key);
    const head = s?.queue[0];
    if (!s || !head?.uuid || !head.uuid.equals(uuid)) return; // duplicate or stale: ignored, as Mesos does
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    s.queue.shift();
    if (s.queue.length > 0) this.forward(key);
    else this.updateStreams.delete(key);
  }

  frameworkMessage(frameworkId: string, executorId: string, data: Buffer): void {
    const e = this.executors.get(`${frameworkId}/${executorId}`);
    if (e) this.sendToExecutor(e, { type: 'MESSAGE', message: { data } });
  }

  // ---- executors ----

  private startExecutor(frameworkInfo: FrameworkInfo, info: ExecutorInfo): AgentExecutor {
    const frameworkId = frameworkInfo.id?.value as string;
    const executorId = info.executor_id.value;
    const containerId = randomUUID();
    const sandbox = path.join(this.workDir, 'frameworks', frameworkId, 'executors', executorId, 'runs', containerId);
    fs.mkdirSync(sandbox, { recursive: true });
    const record: AgentExecutor = {
      frameworkId, executorId, info, frameworkInfo, containerId, sandbox, queued: [],
      tasks: new Map(), subscribeCount: 0, seenUuids: new Set(), shuttingDown: false,
    };
    this.executors.set(`${frameworkId}/${executorId}`, record);
    record.exited = this.fetchAndSpawn(record);
    return record;
  }

  /** Fetches the URIs, then runs the executor; resolves when the process is gone. */
  private async fetchAndSpawn(record: AgentExecutor): Promise<void> {
    const { frameworkId, executorId, info, frameworkInfo, sandbox } = record;
    try {
      for (const uri of info.command?.uris ?? []) await fetchUri(uri, sandbox);
    } catch (err) {
      this.launchFailed(record, `Failed to fetch URIs: ${(err as Error).message}`);
      return;
    }
    if (!this.executors.has(`${frameworkId}/${executorId}`) || !this.running) return;
    const checkpoint = frameworkInfo.checkpoint === true;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...(this.options.env ?? {}),
      MESOS_FRAMEWORK_ID: frameworkId,
      MESOS_EXECUTOR_ID: executorId,
      MESOS_AGENT_ENDPOINT: this.endpoint,
      MESOS_SLAVE_ID: this.id,
      MESOS_DIRECTORY: sandbox,
      MESOS_SANDBOX: sandbox,
      MESOS_CHECKPOINT: checkpoint ? '1' : '0',
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: formatMesosDuration(this.options.executorShutdownGracePeriodMs ?? 5000),
    };
    if (checkpoint) {
      env.MESOS_RECOVERY_TIMEOUT = formatMesosDuration(this.options.recoveryTimeoutMs ?? 15 * 60_000);
      env.MESOS_SUBSCRIPTION_BACKOFF_MAX = formatMesosDuration(this.options.subscriptionBackoffMaxMs ?? 2000);
    }
    for (const v of info.command?.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
    const command = info.command ?? {};
    const out = fs.openSync(path.join(sandbox, 'stdout'), 'a');
    const err = fs.openSync(path.join(sandbox, 'stderr'), 'a');
    let child: ChildProcess;
    try {
      if (command.shell === false) {
        // Mesos execs `value` with `arguments` as the whole argv, arguments[0] being argv[0].
        const args = command.arguments ?? [];
        child = spawn(command.value as string, args.slice(1), {
          argv0: args[0], env, cwd: sandbox, stdio: ['ignore', out, err], shell: false, detached: true,
        });
      } else {
        child = spawn('/bin/sh', ['-c', command.value as string], { env, cwd: sandbox, stdio: ['ignore', out, err], detached: true });
      }
    } catch (e) {
      this.launchFailed(record, `Failed to launch the executor: ${(e as Error).message}`);
      return;
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
    record.process = child;
    await new Promise<void>((resolve) => {
      child.on('error', (e2) => {
        this.cluster.logger.error(`test agent: executor ${executorId} failed to start`, e2);
      });
      child.on('close', (code, signal) => {
        this.executorExited(record, code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : -1));
        resolve();
      });
    });
  }

  private launchFailed(record: AgentExecutor, message: string): void {
    this.cluster.logger.error(`test agent: ${message}`);
    this.executors.delete(`${record.frameworkId}/${record.executorId}`);
    for (const task of record.queued.splice(0)) {
      this.agentUpdate(record.frameworkId, task, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', message, record.executorId);
    }
    this.cluster.executorTerminated(this, record.frameworkId, record.executorId, -1);
  }

  private executorExited(e: AgentExecutor, status: number): void {
    if (e.killTimer) clearTimeout(e.killTimer);
    this.executors.delete(`${e.frameworkId}/${e.executorId}`);
    e.stream?.end();
    if (this.crashed) return;
    const state: TaskState = e.shuttingDown ? 'TASK_KILLED' : 'TASK_FAILED';
    for (const task of e.queued) this.agentUpdate(e.frameworkId, task, state, 'REASON_EXECUTOR_TERMINATED', 'Executor terminated', e.executorId);
    for (const t of e.tasks.values()) {
      if (!isTerminalTaskState(t.state)) {
        this.agentUpdate(e.frameworkId, t.info, state, 'REASON_EXECUTOR_TERMINATED', 'Executor terminated', e.executorId);
      }
    }
    this.cluster.executorTerminated(this, e.frameworkId, e.executorId, status);
  }

  private sendToExecutor(e: AgentExecutor, event: ExecutorEvent): void {
    const s = e.stream;
    if (s && !s.closed) s.write(executorEventCodec.encode(event, s.encoding));
  }

  private sendLaunch(e: AgentExecutor, task: TaskInfo): void {
    e.tasks.set(task.task_id.value, { info: task, state: 'TASK_STAGING' });
    this.sendToExecutor(e, { type: 'LAUNCH', launch: { task } });
  }

  // ---- executor API ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== '/api/v1/executor') {
      reply(res, 404, 'Not found');
      return;
    }
    if (req.method !== 'POST') {
      reply(res, 405, 'Expecting POST', { Allow: 'POST' });
      return;
    }
    const enc = negotiate(req, res);
    if (!enc) return;
    const body = await readBody(req);
    let call: ExecutorCall;
    try {
      call = executorCallCodec.decode(body, enc.request);
    } catch (err) {
      reply(res, 400, `Failed to parse body into Call: ${(err as Error).message}`);
      return;
    }
    this.calls.push(call);
    const e = this.executors.get(`${call.framework_id.value}/${call.executor_id.value}`);
    if (!e) {
      reply(res, 400, `Executor ${call.executor_id.value} of framework ${call.framework_id.value} not found`);
      return;
    }
    switch (call.type) {
      case 'SUBSCRIBE':
        this.subscribe(e, call, enc.response, res);
        return;
      case 'UPDATE': {
        const status = call.update?.status;
        if (!status) {
          reply(res, 400, "Expecting 'update' to be present");
          return;
        }
        const problem = validateExecutorStatus(status);
        if (problem) {
          reply(res, 400, problem);
          return;
        }
        reply(res, 202);
        if (this.faults.dropExecutorUpdates) {
          this.droppedUpdates.push(status);
          return;
        }
        this.executorUpdate(e, status);
        return;
      }
      case 'MESSAGE':
        reply(res, 202);
        if (call.message) this.cluster.executorMessage(this, e.frameworkId, e.executorId, call.message.data);
        return;
      default:
        reply(res, 400, `Unsupported call ${call.type}`);
    }
  }

  private subscribe(e: AgentExecutor, call: ExecutorCall, encoding: 'json' | 'protobuf', res: http.ServerResponse): void {
    e.stream?.end();
    const stream = new RecordIOStream(res, encoding);
    e.stream = stream;
    e.subscribeCount++;
    e.lastSubscribe = call.subscribe ?? {};
    stream.onClose(() => {
      if (e.stream === stream) e.stream = undefined;
    });
    this.sendToExecutor(e, {
      type: 'SUBSCRIBED',
      subscribed: {
        executor_info: e.info,
        framework_info: e.frameworkInfo,
        agent_info: { hostname: this.hostname, port: this.port, id: { value: this.id } },
        container_id: { value: e.containerId },
      },
    });
    for (const u of call.subscribe?.unacknowledged_updates ?? []) {
      if (!validateExecutorStatus(u.status)) this.executorUpdate(e, u.status);
    }
    for (const task of e.queued.splice(0)) this.sendLaunch(e, task);
    if (e.shuttingDown) this.sendToExecutor(e, { type: 'SHUTDOWN' });
  }

  private executorUpdate(e: AgentExecutor, status: TaskStatus): void {
    const uuid = status.uuid as Buffer;
    const key = uuidToString(uuid);
    if (!e.seenUuids.has(key)) {
      e.seenUuids.add(key);
      const t = e.tasks.get(status.task_id.value);
      if (t) t.state = status.state;
      this.enqueueUpdate(e.frameworkId, { ...status, agent_id: { value: this.id }, executor_id: { value: e.executorId } });
    }
    // The agent has the update (checkpointed, in Mesos): the executor may forget it.
    this.sendToExecutor(e, { type: 'ACKNOWLEDGED', acknowledged: { task_id: status.task_id, uuid } });
  }

  /** A status update the agent itself generates: reliable (uuid), source SOURCE_AGENT. */
  private agentUpdate(frameworkId: string, task: TaskInfo, state: TaskState, reason: string, message: string, executorId?: string): void {
    const status: TaskStatus = {
      task_id: task.task_id, state, source: 'SOURCE_AGENT', reason, message, agent_id: { value: this.id },
      timestamp: Date.now() / 1000, uuid: randomUuidBytes(),
    };
    if (executorId) status.executor_id = { value: executorId };
    this.enqueueUpdate(frameworkId, status);
  }

  private enqueueUpdate(frameworkId: string, status: TaskStatus): void {
    const key = `${frameworkId}/${status.task_id.value}`;
    let s = this.updateStreams.get(key);
    if (!s) {
      s = { frameworkId, queue: [] };
      this.updateStreams.set(key, s);
    }
    s.queue.push(status);
    if (s.queue.length === 1) this.forward(key);
  }

  /** Sends the head of a task's update stream to the master, and again until acknowledged. */
  private forward(key: string): void {
    const s = this.updateStreams.get(key);
    const head = s?.queue[0];
    if (!s || !head) return;
    if (s.timer) clearTimeout(s.timer);
    if (this.running) this.cluster.statusUpdate(this, s.frameworkId, head);
    s.timer = setTimeout(() => this.forward(key), this.cluster.statusUpdateRetryMs);
  }
}

/** Mesos' checks on an executor's TaskStatus. */
function validateExecutorStatus(status: TaskStatus): string | undefined {
  if (!status.uuid || status.uuid.length !== 16) return `'status.uuid' must be 16 bytes (got ${status.uuid?.length ?? 0})`;
  if (status.source !== 'SOURCE_EXECUTOR') return `Received Call from executor with 'status.source' ${status.source ?? 'unset'}, expecting SOURCE_EXECUTOR`;
  if (status.state === 'TASK_STAGING') return 'Received TASK_STAGING from executor: not allowed';
  return undefined;
}
