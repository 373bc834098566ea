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
import { decodeCall, readBody, RecordIOStream, reply, requestEncoding, responseEncoding, trackSockets, validUuid } from './http-util';
import { fetchUri } from './fetcher';
import { MRes, parseAgentResources, Quantities, quantitiesOf } from './resources';

/** os::host_default_path(): the PATH an executor gets when its environment names none. */
export const HOST_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A user of this machine (getpwnam), or undefined. */
export function lookupUser(name: string): { uid: number; gid: number; home: string } | undefined {
  let passwd = '';
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  }
  return undefined;
}

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
  /**
   * Mesos --resources, e.g. 'cpus(pi):2;mem(pi):2048;cpus:2;mem:2048' (scalars; `(role)` is a
   * static reservation). When given, cpus/mem/disk are ignored.
   */
  resources?: string;
  /**
   * The agent's --executor_environment_variables. As in Mesos (slave.cpp executorEnvironment),
   * an executor's environment is built from scratch: these, then MESOS_* and LIBPROCESS_*, then
   * CommandInfo.environment; PATH falls back to HOST_DEFAULT_PATH. Nothing of the test process'
   * own environment is inherited.
   */
  env?: Record<string, string>;
  /**
   * --switch_user (default true, as Mesos): the sandbox is chowned to the task's user
   * (CommandInfo.user, else FrameworkInfo.user) and the executor runs as that user; a user this
   * machine does not have fails the launch (TASK_LOST, or TASK_DROPPED when partition-aware).
   * Switching needs root: when the tests do not run as root, only the user's existence is checked.
   */
  switchUser?: boolean;
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
  /** The current retry interval of the head (doubles to the cluster's maximum). */
  intervalMs: number;
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
  /** The agent's resources with their reservations. */
  readonly totalRes: MRes[];
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
    if (options.resources !== undefined) {
      this.totalRes = parseAgentResources(options.resources);
    } else {
      this.totalRes = [
        { name: 'cpus', value: options.cpus ?? 4, reservations: [] },
        { name: 'mem', value: options.mem ?? 1024, reservations: [] },
      ];
      if (options.disk !== undefined) this.totalRes.push({ name: 'disk', value: options.disk, reservations: [] });
    }
    this.total = quantitiesOf(this.totalRes);
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-agent-'));
    // Like /var/lib/mesos on an agent: the executors, running as the task user, reach their sandboxes through it.
    fs.chmodSync(this.workDir, 0o755);
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
    this.resumeStatusUpdates();
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
    const running = this.executors.get(key);
    if (running?.shuttingDown) {
      // slave.cpp Slave::__run, executor TERMINATING: the task is never launched. TASK_DROPPED for
      // a partition-aware framework, else TASK_LOST; no executor_id in the update.
      const partitionAware = (frameworkInfo.capabilities ?? []).some((c) => c.type === 'PARTITION_AWARE');
      this.agentUpdate(frameworkId, task, partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_EXECUTOR_TERMINATED', 'Executor terminating');
      return;
    }
    const e = running ?? this.startExecutor(frameworkInfo, executorInfo, task);
    if (!e) return;
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

  /**
   * TaskStatusUpdateManager::resume: the head update of every task goes out again now, and its
   * retry interval starts over (on re-registration, and when a framework resubscribes).
   */
  resumeStatusUpdates(): void {
    for (const [key, s] of this.updateStreams) {
      s.intervalMs = this.cluster.statusUpdateRetryMs;
      this.forward(key, false);
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
    s.intervalMs = this.cluster.statusUpdateRetryMs;
    if (s.queue.length > 0) this.forward(key, false);
    else this.updateStreams.delete(key);
  }

  frameworkMessage(frameworkId: string, executorId: string, data: Buffer): void {
    const e = this.executors.get(`${frameworkId}/${executorId}`);
    if (e) this.sendToExecutor(e, { type: 'MESSAGE', message: { data } });
  }

  // ---- executors ----

  private startExecutor(frameworkInfo: FrameworkInfo, info: ExecutorInfo, task: TaskInfo): AgentExecutor | undefined {
    const frameworkId = frameworkInfo.id?.value as string;
    const executorId = info.executor_id.value;
    const containerId = randomUUID();
    const sandbox = path.join(this.workDir, 'frameworks', frameworkId, 'executors', executorId, 'runs', containerId);
    fs.mkdirSync(path.dirname(sandbox), { recursive: true });
    fs.mkdirSync(sandbox, { mode: 0o750 });
    // paths::createSandboxDirectory: chmod 0750, chown to the task's user (slave.cpp addExecutor).
    const switchUser = this.options.switchUser ?? true;
    const userName = info.command?.user ?? frameworkInfo.user;
    let user: { uid: number; gid: number; home: string } | undefined;
    if (switchUser && userName) {
      user = lookupUser(userName);
      let problem = user ? undefined : `No such user '${userName}'`;
      if (user && process.getuid?.() === 0) {
        try {
          fs.chownSync(sandbox, user.uid, user.gid);
        } catch (err) {
          problem = (err as Error).message;
        }
      }
      if (problem) {
        fs.rmSync(sandbox, { recursive: true, force: true });
        const message = `Failed to create executor directory '${sandbox}': Failed to chown directory to '${userName}': ${problem}`;
        this.cluster.logger.error(`test agent: ${message}`);
        // Slave::_run sendTaskDroppedUpdate, then the master hears the executor exited.
        const partitionAware = (frameworkInfo.capabilities ?? []).some((c) => c.type === 'PARTITION_AWARE');
        this.agentUpdate(frameworkId, task, partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_EXECUTOR_TERMINATED', message, executorId);
        this.cluster.executorTerminated(this, frameworkId, executorId, undefined);
        return undefined;
      }
    }
    const record: AgentExecutor = {
      frameworkId, executorId, info, frameworkInfo, containerId, sandbox, queued: [],
      tasks: new Map(), subscribeCount: 0, seenUuids: new Set(), shuttingDown: false,
    };
    this.executors.set(`${frameworkId}/${executorId}`, record);
    record.exited = this.fetchAndSpawn(record, switchUser && process.getuid?.() === 0 ? user : undefined);
    return record;
  }

  /** Fetches the URIs, then runs the executor; resolves when the process is gone. */
  private async fetchAndSpawn(record: AgentExecutor, user?: { uid: number; gid: number }): Promise<void> {
    const { frameworkId, executorId, info, frameworkInfo, sandbox } = record;
    try {
      for (const uri of info.command?.uris ?? []) await fetchUri(uri, sandbox);
      if (user) chownTree(sandbox, user.uid, user.gid);
    } catch (err) {
      this.launchFailed(record, `Failed to fetch URIs: ${(err as Error).message}`);
      return;
    }
    if (!this.executors.has(`${frameworkId}/${executorId}`) || !this.running) return;
    const checkpoint = frameworkInfo.checkpoint === true;
    // slave.cpp executorEnvironment: from scratch, never the agent's own environment.
    const env: Record<string, string> = {};
    if (process.env.LIBPROCESS_IP) env.LIBPROCESS_IP = process.env.LIBPROCESS_IP;
    Object.assign(env, this.options.env ?? {});
    Object.assign(env, {
      LIBPROCESS_PORT: '0',
      MESOS_FRAMEWORK_ID: frameworkId,
      MESOS_EXECUTOR_ID: executorId,
      MESOS_DIRECTORY: sandbox,
      MESOS_SLAVE_ID: this.id,
      MESOS_SLAVE_PID: `slave(1)@${this.endpoint}`,
      MESOS_AGENT_ENDPOINT: this.endpoint,
      MESOS_CHECKPOINT: checkpoint ? '1' : '0',
      MESOS_HTTP_COMMAND_EXECUTOR: '0',
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: formatMesosDuration(this.options.executorShutdownGracePeriodMs ?? 5000),
    });
    if (checkpoint) {
      env.MESOS_RECOVERY_TIMEOUT = formatMesosDuration(this.options.recoveryTimeoutMs ?? 15 * 60_000);
      env.MESOS_SUBSCRIPTION_BACKOFF_MAX = formatMesosDuration(this.options.subscriptionBackoffMaxMs ?? 2000);
    }
    // The containerizer adds the sandbox and the command's own environment (launch.cpp).
    env.MESOS_SANDBOX = sandbox;
    for (const v of info.command?.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
    if (env.PATH === undefined) env.PATH = HOST_DEFAULT_PATH;
    const command = info.command ?? {};
    const out = fs.openSync(path.join(sandbox, 'stdout'), 'a');
    const err = fs.openSync(path.join(sandbox, 'stderr'), 'a');
    if (user) {
      fs.fchownSync(out, user.uid, user.gid);
      fs.fchownSync(err, user.uid, user.gid);
    }
    let child: ChildProcess;
    try {
      if (command.shell === false) {
        // Mesos execs `value` with `arguments` as the whole argv, arguments[0] being argv[0].
        const args = command.arguments ?? [];
        child = spawn(resolveCommand(command.value as string, env.PATH), args.slice(1), {
          argv0: args[0], env, cwd: sandbox, stdio: ['ignore', out, err], shell: false, detached: true, ...(user ?? {}),
        });
      } else {
        child = spawn('/bin/sh', ['-c', command.value as string], {
          env, cwd: sandbox, stdio: ['ignore', out, err], detached: true, ...(user ?? {}),
        });
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
        // FAILURE.status is a wait status, as Mesos reports it (exit 127 is 32512; a signal is its number).
        this.executorExited(record, code !== null ? code << 8 : (signal ? (os.constants.signals[signal] ?? 0) : 0));
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
    // slave/http.cpp Http::executor, in its order.
    const request = requestEncoding(req, res);
    if (!request) return;
    const body = await readBody(req);
    const decoded = decodeCall(body, request, (b, e) => executorCallCodec.decode(b, e));
    if (!decoded.call) {
      reply(res, 400, decoded.error as string);
      return;
    }
    const call = decoded.call;
    this.calls.push(call);
    const invalid = validateExecutorCall(call);
    if (invalid) {
      reply(res, 400, `Failed to validate Executor::Call: ${invalid}`);
      return;
    }
    let responseEnc: 'json' | 'protobuf' = 'json';
    if (call.type === 'SUBSCRIBE') {
      const r = responseEncoding(req, res);
      if (!r) return;
      responseEnc = r;
    } else if (call.type === 'HEARTBEAT') {
      reply(res, 202);
      return;
    }
    if (![...this.executors.values()].some((x) => x.frameworkId === call.framework_id.value)) {
      reply(res, 400, 'Framework cannot be found');
      return;
    }
    const e = this.executors.get(`${call.framework_id.value}/${call.executor_id.value}`);
    if (!e) {
      reply(res, 400, 'Executor cannot be found');
      return;
    }
    if (e.subscribeCount === 0 && call.type !== 'SUBSCRIBE') {
      reply(res, 403, 'Executor is not subscribed');
      return;
    }
    switch (call.type) {
      case 'SUBSCRIBE':
        this.subscribe(e, call, responseEnc, res);
        return;
      case 'UPDATE': {
        const status = call.update?.status as TaskStatus;
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
      if (!validateExecutorCall({ ...call, type: 'UPDATE', update: { status: u.status } })) this.executorUpdate(e, u.status);
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
      s = { frameworkId, queue: [], intervalMs: this.cluster.statusUpdateRetryMs };
      this.updateStreams.set(key, s);
    }
    s.queue.push(status);
    if (s.queue.length === 1) this.forward(key, false);
  }

  /**
   * Sends the head of a task's update stream to the master, and again until acknowledged: after
   * statusUpdateRetryMs, then doubling up to statusUpdateRetryMaxMs (task_status_update_manager.cpp,
   * 10 s to 10 min in Mesos). While the agent is not registered with the leader nothing is sent
   * (the manager is paused); re-registration resumes it.
   */
  private forward(key: string, backoff = true): void {
    const s = this.updateStreams.get(key);
    const head = s?.queue[0];
    if (!s || !head) return;
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    if (!this.running || !this.cluster.agentRegistered(this.id)) return;
    if (backoff) s.intervalMs = Math.min(s.intervalMs * 2, this.cluster.statusUpdateRetryMaxMs);
    this.cluster.statusUpdate(this, s.frameworkId, head);
    s.timer = setTimeout(() => this.forward(key), s.intervalMs);
  }
}

/** execvp's search: a bare name is looked up in the executor's PATH, not the agent's. */
function resolveCommand(value: string, searchPath: string | undefined): string {
  if (value.includes('/')) return value;
  for (const dir of (searchPath ?? HOST_DEFAULT_PATH).split(':')) {
    const candidate = path.join(dir || '.', value);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch { /* next */ }
  }
  return value;
}

function chownTree(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else fs.lchownSync(p, uid, gid);
  }
}

/** common/validation.cpp validateExecutorCall (what applies to a decoded call), in Mesos' words. */
function validateExecutorCall(call: ExecutorCall): string | undefined {
  if (!call.type) return "Expecting 'type' to be present";
  if (!call.executor_id) return "Expecting 'executor_id' to be present";
  if (!call.framework_id) return "Expecting 'framework_id' to be present";
  switch (call.type) {
    case 'SUBSCRIBE':
      return call.subscribe ? undefined : "Expecting 'subscribe' to be present";
    case 'UPDATE': {
      const status = call.update?.status;
      if (!call.update || !status) return "Expecting 'update' to be present";
      if (!status.uuid) return "Expecting 'uuid' to be present";
      if (!validUuid(status.uuid)) return 'Not a valid UUID';
      if (status.executor_id && status.executor_id.value !== call.executor_id.value) {
        return `ExecutorID in Call: ${call.executor_id.value} does not match ExecutorID in TaskStatus: ${status.executor_id.value}`;
      }
      if (status.source !== 'SOURCE_EXECUTOR') {
        return `Received Call from executor ${call.executor_id.value} of framework ${call.framework_id.value} with invalid source, expecting 'SOURCE_EXECUTOR'`;
      }
      if (status.state === 'TASK_STAGING') {
        return `Received TASK_STAGING from executor ${call.executor_id.value} of framework ${call.framework_id.value} which is not allowed`;
      }
      return undefined;
    }
    case 'MESSAGE':
      return call.message ? undefined : "Expecting 'message' to be present";
    default:
      return undefined;
  }
}
