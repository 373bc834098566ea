// A test Mesos cluster: one or more masters (one leads) speaking the v1 scheduler and operator
// HTTP APIs as the Mesos docs specify, and agents (agent.ts) running real executor processes.
// Faults can be injected to prove the clients cope with what real clusters do.
import { EventEmitter } from 'events';
import * as http from 'http';
import * as https from 'https';
import type { Socket } from 'net';
import * as zookeeper from 'node-zookeeper-client';
import { randomUUID } from 'crypto';
import { Logger, silentLogger } from '../../../src/common/logger';
import { codecFor, operatorCallCodec, operatorResponseCodec, schedulerCallCodec, schedulerEventCodec } from '../../../src/mesos/codec';
import { basicAuthorization, Credentials } from '../../../src/mesos/credentials';
import {
  ExecutorInfo, FrameworkInfo, isTerminalTaskState, Offer, OfferOperation, OperatorAgent, OperatorResponse, SchedulerCall,
  SchedulerEvent, TaskInfo, TaskState, TaskStatus,
} from '../../../src/mesos/types';
import { uuidToString } from '../../../src/mesos/uuid';
import { TestAgent, TestAgentOptions } from './agent';
import { negotiate, readBody, RecordIOStream, reply, trackSockets } from './http-util';
import { add, allocatable, fits, Quantities, quantitiesOf, subtract, toResources } from './resources';

export interface TestClusterOptions {
  /** Number of masters (default 1); the first leads. */
  masters?: number;
  /** HEARTBEAT interval sent to schedulers (default 15 s, as Mesos; tests use ~0.1). */
  heartbeatIntervalSeconds?: number;
  /** How often free resources are offered (default 50 ms). */
  allocationIntervalMs?: number;
  /** Rescind offers not answered within this time (default: never). */
  offerTimeoutMs?: number;
  /** Agents re-send unacknowledged status updates this often (default 10 s, as Mesos). */
  statusUpdateRetryMs?: number;
  /** When given, every request must carry basic authentication with one of these. */
  credentials?: Credentials[];
  /** Register the masters in ZooKeeper as Mesos does (json.info_ nodes under `path`). */
  zookeeper?: { connectString: string; path: string };
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  logger?: Logger;
}

export interface FrameworkRecord {
  id: string;
  info: FrameworkInfo;
  stream?: RecordIOStream;
  streamId?: string;
  connected: boolean;
  removed: boolean;
  suppressed: boolean;
  /** agent id → epoch ms until which that agent is not offered. */
  /**
   * agent id → refused resources and until when (epoch ms). As in Mesos' allocator, an offer is
   * held back only while everything it would hold is among the refused resources: resources freed
   * later (a finished task) make a new offer at once.
   */
  filters: Map<string, { until: number; refused: Quantities }>;
  failoverTimer?: NodeJS.Timeout;
  subscribeCount: number;
  partitionAware: boolean;
}

export interface TaskRecord {
  frameworkId: string;
  agentId: string;
  executorId?: string;
  info: TaskInfo;
  state: TaskState;
  /** Latest status as the master stores it: without `data`. */
  latest?: TaskStatus;
  quantities: Quantities;
}

interface OfferRecord {
  offer: Offer;
  quantities: Quantities;
  timer?: NodeJS.Timeout;
}

interface ExecutorRecordM {
  frameworkId: string;
  agentId: string;
  info: ExecutorInfo;
  encoded: string;
  quantities: Quantities;
}

export type AgentLoss = 'unreachable' | 'gone';

/** One master process: an HTTP server that leads or redirects to the leader. */
export class TestMaster {
  readonly id = randomUUID();
  port = 0;
  private server: http.Server | undefined;
  private sockets: Set<Socket> | undefined;
  zkNode: string | undefined;

  constructor(readonly cluster: TestMesosCluster, readonly index: number) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `${this.cluster.tls ? 'https' : 'http'}://${this.address}`;
  }

  infoJson(): string {
    return JSON.stringify({
      address: { hostname: 'localhost', ip: '127.0.0.1', port: this.port },
      hostname: 'localhost',
      id: this.id,
      ip: 0x0100007f,
      pid: `master@127.0.0.1:${this.port}`,
      port: this.port,
      version: '1.12.0',
    });
  }

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.cluster.handle(this, req, res).catch((err: Error) => {
        reply(res, 500, `test master error: ${err.message}`);
      });
    };
    const tls = this.cluster.tls;
    const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
    this.sockets = trackSockets(server);
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets ?? []) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export class TestMesosCluster extends EventEmitter {
  readonly masters: TestMaster[] = [];
  readonly agents = new Map<string, TestAgent>();
  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly offers = new Map<string, OfferRecord>();
  readonly executors = new Map<string, ExecutorRecordM>();
  /** HTTP requests received by any master, refused ones included. */
  requests = 0;
  /** Every scheduler call received by the leader, in order. */
  readonly calls: SchedulerCall[] = [];
  /** Agents marked lost: id → how. */
  readonly lostAgents = new Map<string, { how: AgentLoss; time: number }>();
  leaderIndex: number | null = 0;
  readonly faults = {
    /** Status to answer every request with (e.g. 401), or null. */
    rejectWith: null as number | null,
    /** The next N UPDATE events are sent twice. */
    duplicateUpdates: 0,
  };
  readonly heartbeatIntervalSeconds: number;
  readonly statusUpdateRetryMs: number;
  readonly logger: Logger;
  private readonly options: TestClusterOptions;
  private readonly clusterId = randomUUID().slice(0, 8);
  private frameworkSeq = 0;
  private offerSeq = 0;
  private agentSeq = 0;
  private allocationTimer: NodeJS.Timeout | undefined;
  private readonly heartbeats = new Map<RecordIOStream, NodeJS.Timeout>();
  private zk: zookeeper.Client | undefined;
  private readonly startedAt = Date.now();

  constructor(options: TestClusterOptions = {}) {
    super();
    this.options = options;
    this.heartbeatIntervalSeconds = options.heartbeatIntervalSeconds ?? 15;
    this.statusUpdateRetryMs = options.statusUpdateRetryMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
    for (let i = 0; i < (options.masters ?? 1); i++) this.masters.push(new TestMaster(this, i));
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    for (const m of this.masters) await m.start();
    if (this.options.zookeeper) await this.registerInZooKeeper();
    this.allocationTimer = setInterval(() => this.allocate(), this.options.allocationIntervalMs ?? 50);
  }

  async stop(): Promise<void> {
    if (this.allocationTimer) clearInterval(this.allocationTimer);
    for (const f of this.frameworks.values()) {
      if (f.failoverTimer) clearTimeout(f.failoverTimer);
      f.stream?.destroy();
    }
    for (const o of this.offers.values()) if (o.timer) clearTimeout(o.timer);
    for (const t of this.heartbeats.values()) clearInterval(t);
    this.heartbeats.clear();
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    for (const m of this.masters) await m.stop();
    if (this.zk) {
      this.zk.close();
      this.zk = undefined;
    }
  }

  /** "127.0.0.1:p1,127.0.0.1:p2", for SchedulerClient's `master`. */
  get masterSpec(): string {
    return this.masters.map((m) => m.address).join(',');
  }

  get zkSpec(): string {
    const zk = this.options.zookeeper;
    if (!zk) throw new Error('this cluster has no ZooKeeper');
    return `zk://${zk.connectString}${zk.path}`;
  }

  get tls(): TestClusterOptions['tls'] {
    return this.options.tls;
  }

  get leader(): TestMaster | undefined {
    return this.leaderIndex === null ? undefined : this.masters[this.leaderIndex];
  }

  async addAgent(options: Omit<TestAgentOptions, 'id'> & { id?: string } = {}): Promise<TestAgent> {
    const id = options.id ?? `${this.clusterId}-S${this.agentSeq++}`;
    const agent = new TestAgent(this, { ...options, id });
    await agent.start();
    this.agents.set(id, agent);
    this.lostAgents.delete(id);
    return agent;
  }

  framework(id?: string): FrameworkRecord | undefined {
    if (id) return this.frameworks.get(id);
    return [...this.frameworks.values()][0];
  }

  // ---- faults ----

  /** Cuts every scheduler event stream. */
  dropSchedulerStreams(): void {
    for (const f of this.frameworks.values()) f.stream?.destroy();
  }

  /** The current scheduler streams stay open but nothing more is written to them. */
  silenceSchedulerStreams(): void {
    for (const f of this.frameworks.values()) if (f.stream) f.stream.silent = true;
  }

  /** Writes bytes that are not RecordIO into every scheduler stream. */
  sendGarbage(bytes: Buffer = Buffer.from('<html>502 Bad Gateway</html>\n')): void {
    for (const f of this.frameworks.values()) f.stream?.writeRaw(bytes);
  }

  /** Rescinds every outstanding offer. */
  rescindAllOffers(): void {
    for (const id of [...this.offers.keys()]) this.removeOffer(id, true);
  }

  /**
   * Leadership moves to master `to` (default: the next one). The old leader's connections are
   * cut, as when its process dies (unless `keepConnections`: then only ZooKeeper tells), and
   * ZooKeeper is updated so zk:// clients follow.
   */
  async failover(to?: number, options: { keepConnections?: boolean } = {}): Promise<void> {
    const from = this.leaderIndex;
    const target = to ?? ((from ?? -1) + 1) % this.masters.length;
    this.leaderIndex = target;
    if (from !== null && from !== target && !options.keepConnections) {
      for (const f of this.frameworks.values()) f.stream?.destroy();
    }
    if (this.zk) await this.reorderZooKeeper(target);
    this.logger.info(`test cluster: leader is now master ${target} (${this.masters[target].address})`);
  }

  /** No master leads: scheduler and operator calls get 503. */
  noLeader(): void {
    this.leaderIndex = null;
    for (const f of this.frameworks.values()) f.stream?.destroy();
  }

  /**
   * The agent disappears (its executors die with it). Its tasks become TASK_UNREACHABLE
   * ('unreachable') or TASK_GONE_BY_OPERATOR ('gone') for partition-aware frameworks, and
   * TASK_LOST for the others, as Mesos reports them.
   */
  async loseAgent(agentId: string, how: AgentLoss = 'unreachable'): Promise<void> {
    const agent = this.agents.get(agentId);
    if (!agent) throw new Error(`no agent ${agentId}`);
    this.agents.delete(agentId);
    this.lostAgents.set(agentId, { how, time: Date.now() });
    await agent.crash();
    for (const [id, o] of this.offers) if (o.offer.agent_id.value === agentId) this.removeOffer(id, true);
    for (const [key, e] of this.executors) if (e.agentId === agentId) this.executors.delete(key);
    for (const task of this.tasks.values()) {
      if (task.agentId !== agentId || isTerminalTaskState(task.state) || task.state === 'TASK_UNREACHABLE') continue;
      const fw = this.frameworks.get(task.frameworkId);
      const pa = fw?.partitionAware ?? false;
      let state: TaskState;
      let reason: string;
      if (how === 'unreachable') {
        state = pa ? 'TASK_UNREACHABLE' : 'TASK_LOST';
        reason = 'REASON_AGENT_REMOVED';
      } else {
        state = pa ? 'TASK_GONE_BY_OPERATOR' : 'TASK_LOST';
        reason = pa ? 'REASON_AGENT_REMOVED_BY_OPERATOR' : 'REASON_AGENT_REMOVED';
      }
      const status: TaskStatus = {
        task_id: task.info.task_id, state, source: 'SOURCE_MASTER', reason,
        message: how === 'unreachable' ? 'Agent is unreachable' : 'Agent was marked gone',
        agent_id: { value: agentId }, timestamp: Date.now() / 1000,
      };
      if (task.executorId) status.executor_id = { value: task.executorId };
      if (how === 'unreachable') status.unreachable_time = { nanoseconds: Date.now() * 1e6 };
      this.recordStatus(task, status);
      this.sendToFramework(task.frameworkId, { type: 'UPDATE', update: { status } });
    }
  }

  // ---- HTTP ----

  async handle(master: TestMaster, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests++;
    const path = (req.url ?? '/').split('?')[0];
    if (this.faults.rejectWith !== null) {
      const status = this.faults.rejectWith;
      await readBody(req).catch(() => undefined);
      reply(res, status, status === 401 ? 'Unauthorized' : 'Refused by fault injection',
        status === 401 ? { 'WWW-Authenticate': 'Basic realm="mesos"' } : {});
      return;
    }
    if (this.options.credentials) {
      const auth = req.headers.authorization;
      if (!auth || !this.options.credentials.some((c) => basicAuthorization(c) === auth)) {
        await readBody(req).catch(() => undefined);
        reply(res, 401, 'Unauthorized', { 'WWW-Authenticate': 'Basic realm="mesos"' });
        return;
      }
    }
    if (req.method === 'GET' && path === '/metrics/snapshot') {
      reply(res, 200, JSON.stringify(this.metrics(master)), { 'Content-Type': 'application/json' });
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      reply(res, 200);
      return;
    }
    if (path !== '/api/v1/scheduler' && path !== '/api/v1') {
      reply(res, 404, 'Not found');
      return;
    }
    if (req.method !== 'POST') {
      reply(res, 405, 'Expecting POST', { Allow: 'POST' });
      return;
    }
    const leader = this.leader;
    if (!leader) {
      await readBody(req).catch(() => undefined);
      reply(res, 503, 'No leader elected');
      return;
    }
    if (leader !== master) {
      await readBody(req).catch(() => undefined);
      reply(res, 307, '', { Location: `//${leader.address}${path}` });
      return;
    }
    if (path === '/api/v1') await this.handleOperator(req, res);
    else await this.handleScheduler(master, req, res);
  }

  private async handleOperator(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const enc = negotiate(req, res);
    if (!enc) return;
    const body = await readBody(req);
    let call;
    try {
      call = operatorCallCodec.decode(body, enc.request);
    } catch (err) {
      reply(res, 400, `Failed to parse body into Call: ${(err as Error).message}`);
      return;
    }
    let response: OperatorResponse;
    switch (call.type) {
      case 'GET_AGENTS':
        response = { type: 'GET_AGENTS', get_agents: { agents: [...this.agents.values()].map((a) => this.describeAgent(a)) } };
        break;
      case 'GET_METRICS': {
        const m = this.metrics(this.leader as TestMaster);
        response = { type: 'GET_METRICS', get_metrics: { metrics: Object.entries(m).map(([name, value]) => ({ name, value })) } };
        break;
      }
      case 'GET_HEALTH':
        response = { type: 'GET_HEALTH', get_health: { healthy: true } };
        break;
      default:
        reply(res, 501, `The test master does not implement ${call.type}`);
        return;
    }
    const bytes = operatorResponseCodec.encode(response, enc.response);
    reply(res, 200, bytes, { 'Content-Type': enc.response === 'json' ? 'application/json' : 'application/x-protobuf' });
  }

  private describeAgent(agent: TestAgent): OperatorAgent {
    const allocated = this.allocatedOn(agent.id);
    const offered = this.offeredOn(agent.id);
    return {
      agent_info: { hostname: agent.hostname, port: agent.port, id: { value: agent.id }, resources: toResources(agent.total) },
      active: agent.running,
      version: '1.12.0',
      pid: `slave(1)@127.0.0.1:${agent.port}`,
      registered_time: { nanoseconds: agent.registeredAt * 1e6 },
      total_resources: toResources(agent.total),
      allocated_resources: toResources(allocated),
      offered_resources: toResources(offered),
    };
  }

  metrics(master: TestMaster): Record<string, number> {
    const elected = this.leader === master;
    let cpusTotal = 0;
    let memTotal = 0;
    let cpusUsed = 0;
    let memUsed = 0;
    for (const a of this.agents.values()) {
      cpusTotal += a.total.cpus ?? 0;
      memTotal += a.total.mem ?? 0;
      const used = this.allocatedOn(a.id);
      cpusUsed += used.cpus ?? 0;
      memUsed += used.mem ?? 0;
    }
    const count = (s: TaskState): number => [...this.tasks.values()].filter((t) => t.state === s).length;
    if (!elected) {
      return { 'master/elected': 0, 'master/uptime_secs': (Date.now() - this.startedAt) / 1000 };
    }
    return {
      'master/elected': 1,
      'master/uptime_secs': (Date.now() - this.startedAt) / 1000,
      'master/cpus_total': cpusTotal,
      'master/cpus_used': cpusUsed,
      'master/cpus_percent': cpusTotal ? cpusUsed / cpusTotal : 0,
      'master/mem_total': memTotal,
      'master/mem_used': memUsed,
      'master/mem_percent': memTotal ? memUsed / memTotal : 0,
      'master/slaves_active': [...this.agents.values()].filter((a) => a.running).length,
      'master/slaves_connected': [...this.agents.values()].filter((a) => a.running).length,
      'master/slaves_unreachable': [...this.lostAgents.values()].filter((l) => l.how === 'unreachable').length,
      'master/frameworks_active': [...this.frameworks.values()].filter((f) => f.connected).length,
      'master/tasks_staging': count('TASK_STAGING'),
      'master/tasks_running': count('TASK_RUNNING'),
      'master/tasks_finished': count('TASK_FINISHED'),
      'master/tasks_failed': count('TASK_FAILED'),
      'master/tasks_killed': count('TASK_KILLED'),
      'master/tasks_lost': count('TASK_LOST'),
      'master/outstanding_offers': this.offers.size,
    };
  }

  private async handleScheduler(master: TestMaster, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const enc = negotiate(req, res);
    if (!enc) return;
    const body = await readBody(req);
    let call: SchedulerCall;
    try {
      call = schedulerCallCodec.decode(body, enc.request);
    } catch (err) {
      reply(res, 400, `Failed to parse body into Call: ${(err as Error).message}`);
      return;
    }
    this.calls.push(call);
    this.emit('call', call);
    const streamHeader = req.headers['mesos-stream-id'] as string | undefined;
    if (call.type === 'SUBSCRIBE') {
      if (streamHeader !== undefined) {
        reply(res, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
        return;
      }
      this.subscribe(master, call, enc.response, res);
      return;
    }
    if (streamHeader === undefined) {
      reply(res, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
      return;
    }
    const fw = call.framework_id ? this.frameworks.get(call.framework_id.value) : undefined;
    if (!fw || fw.removed) {
      reply(res, 403, 'Framework cannot be found');
      return;
    }
    if (!fw.connected) {
      reply(res, 403, 'Framework is not subscribed');
      return;
    }
    if (fw.streamId !== streamHeader) {
      reply(res, 400, `The stream ID '${streamHeader}' included in this request didn't match the stream ID currently associated with framework ID ${fw.id}`);
      return;
    }
    const problem = this.execute(fw, call);
    if (problem) reply(res, 400, problem);
    else reply(res, 202);
  }

  private subscribe(master: TestMaster, call: SchedulerCall, encoding: 'json' | 'protobuf', res: http.ServerResponse): void {
    const info = call.subscribe?.framework_info;
    if (!info) {
      reply(res, 400, "Expecting 'subscribe' to be present");
      return;
    }
    if (call.framework_id && info.id && call.framework_id.value !== info.id.value) {
      reply(res, 400, "'framework_id' differs from 'subscribe.framework_info.id'");
      return;
    }
    const streamId = randomUUID();
    const stream = new RecordIOStream(res, encoding, { 'Mesos-Stream-Id': streamId });
    const send = (event: SchedulerEvent): void => stream.write(schedulerEventCodec.encode(event, encoding));
    let fw = info.id ? this.frameworks.get(info.id.value) : undefined;
    if (fw?.removed) {
      send({ type: 'ERROR', error: { message: 'Framework has been removed' } });
      stream.end();
      return;
    }
    if (!fw) {
      const id = info.id?.value ?? `${this.clusterId}-${String(this.frameworkSeq++).padStart(4, '0')}`;
      fw = {
        id, info, connected: false, removed: false, suppressed: false, filters: new Map(), subscribeCount: 0,
        partitionAware: false,
      };
      this.frameworks.set(id, fw);
    }
    if (fw.stream && !fw.stream.closed) {
      const old = fw.stream;
      old.write(schedulerEventCodec.encode({ type: 'ERROR', error: { message: 'Framework failed over' } }, old.encoding));
      fw.stream = undefined;
      old.end();
    }
    if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
    fw.failoverTimer = undefined;
    fw.info = { ...info, id: { value: fw.id } };
    fw.partitionAware = (info.capabilities ?? []).some((c) => c.type === 'PARTITION_AWARE');
    fw.suppressed = (call.subscribe?.suppressed_roles ?? []).length > 0;
    fw.stream = stream;
    fw.streamId = streamId;
    fw.connected = true;
    fw.subscribeCount++;
    const record = fw;
    stream.onClose(() => this.streamClosed(record, stream));
    send({
      type: 'SUBSCRIBED',
      subscribed: {
        framework_id: { value: fw.id },
        heartbeat_interval_seconds: this.heartbeatIntervalSeconds,
        master_info: { id: master.id, ip: 0x0100007f, port: master.port, hostname: 'localhost', address: { ip: '127.0.0.1', hostname: 'localhost', port: master.port } },
      },
    });
    // Mesos sends the first heartbeat right after SUBSCRIBED.
    send({ type: 'HEARTBEAT' });
    const timer = setInterval(() => send({ type: 'HEARTBEAT' }), this.heartbeatIntervalSeconds * 1000);
    this.heartbeats.set(stream, timer);
    this.emit('subscribed', fw.id);
  }

  private streamClosed(fw: FrameworkRecord, stream: RecordIOStream): void {
    const timer = this.heartbeats.get(stream);
    if (timer) clearInterval(timer);
    this.heartbeats.delete(stream);
    if (fw.stream !== stream) return;
    fw.stream = undefined;
    fw.streamId = undefined;
    fw.connected = false;
    for (const [id, o] of this.offers) if (o.offer.framework_id.value === fw.id) this.removeOffer(id, false);
    const timeoutMs = (fw.info.failover_timeout ?? 0) * 1000;
    this.logger.info(`test master: framework ${fw.id} disconnected; failover timeout ${timeoutMs} ms`);
    fw.failoverTimer = setTimeout(() => this.removeFramework(fw, 'failover timeout'), timeoutMs);
  }

  private removeFramework(fw: FrameworkRecord, why: string): void {
    this.logger.info(`test master: removing framework ${fw.id} (${why})`);
    if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
    fw.failoverTimer = undefined;
    fw.removed = true;
    fw.connected = false;
    for (const [id, o] of this.offers) if (o.offer.framework_id.value === fw.id) this.removeOffer(id, false);
    for (const task of this.tasks.values()) {
      if (task.frameworkId === fw.id && !isTerminalTaskState(task.state)) task.state = 'TASK_KILLED';
    }
    for (const agent of this.agents.values()) agent.shutdownFramework(fw.id);
    for (const [key, e] of this.executors) if (e.frameworkId === fw.id) this.executors.delete(key);
    const stream = fw.stream;
    fw.stream = undefined;
    stream?.end();
  }

  /** Carries out a non-SUBSCRIBE call; returns an error text for a 400. */
  private execute(fw: FrameworkRecord, call: SchedulerCall): string | undefined {
    switch (call.type) {
      case 'TEARDOWN':
        this.removeFramework(fw, 'TEARDOWN');
        return undefined;
      case 'ACCEPT':
        return this.accept(fw, call);
      case 'DECLINE': {
        const refuse = call.decline?.filters?.refuse_seconds ?? 5;
        for (const id of call.decline?.offer_ids ?? []) {
          const o = this.offers.get(id.value);
          if (!o || o.offer.framework_id.value !== fw.id) continue;
          this.removeOffer(id.value, false);
          fw.filters.set(o.offer.agent_id.value, { until: Date.now() + refuse * 1000, refused: o.quantities });
        }
        return undefined;
      }
      case 'REVIVE':
        fw.filters.clear();
        fw.suppressed = false;
        return undefined;
      case 'SUPPRESS':
        fw.suppressed = true;
        return undefined;
      case 'KILL': {
        const taskId = call.kill?.task_id.value ?? '';
        const task = this.tasks.get(taskId);
        if (!task || task.frameworkId !== fw.id || isTerminalTaskState(task.state)) {
          const status: TaskStatus = {
            task_id: { value: taskId }, state: 'TASK_LOST', source: 'SOURCE_MASTER',
            reason: 'REASON_RECONCILIATION', message: 'Attempted to kill an unknown task', timestamp: Date.now() / 1000,
          };
          this.sendToFramework(fw.id, { type: 'UPDATE', update: { status } });
          return undefined;
        }
        this.agents.get(task.agentId)?.killTask(fw.id, taskId);
        return undefined;
      }
      case 'SHUTDOWN': {
        const s = call.shutdown;
        if (s) this.agents.get(s.agent_id.value)?.shutdownExecutor(fw.id, s.executor_id.value);
        return undefined;
      }
      case 'ACKNOWLEDGE': {
        const a = call.acknowledge;
        if (!a) return "Expecting 'acknowledge' to be present";
        if (a.uuid.length !== 16) return `Failed to parse UUID: ${a.uuid.length} bytes`;
        this.agents.get(a.agent_id.value)?.acknowledge(fw.id, a.task_id.value, a.uuid);
        return undefined;
      }
      case 'RECONCILE':
        this.reconcile(fw, call.reconcile?.tasks ?? []);
        return undefined;
      case 'MESSAGE': {
        const m = call.message;
        if (m) this.agents.get(m.agent_id.value)?.frameworkMessage(fw.id, m.executor_id.value, m.data);
        return undefined;
      }
      case 'UPDATE_FRAMEWORK':
        if (call.update_framework) fw.info = { ...call.update_framework.framework_info, id: { value: fw.id } };
        return undefined;
      default:
        return undefined;
    }
  }

  private accept(fw: FrameworkRecord, call: SchedulerCall): string | undefined {
    const accept = call.accept ?? {};
    const offerIds = (accept.offer_ids ?? []).map((o) => o.value);
    const records = offerIds.map((id) => this.offers.get(id));
    const agentIds = new Set(records.map((r) => r?.offer.agent_id.value));
    const valid = records.length > 0 && records.every((r) => r && r.offer.framework_id.value === fw.id) && agentIds.size === 1;
    for (const id of offerIds) this.removeOffer(id, false);
    const launches: TaskInfo[] = [];
    for (const op of accept.operations ?? []) launches.push(...this.tasksOf(op));
    if (!valid) {
      for (const t of launches) {
        this.masterUpdate(fw, t, fw.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_INVALID_OFFERS', 'Task launched with invalid offers');
      }
      return undefined;
    }
    const agentId = [...agentIds][0] as string;
    const agent = this.agents.get(agentId);
    let pool: Quantities = {};
    for (const r of records) if (r) pool = add(pool, r.quantities);
    const refuse = accept.filters?.refuse_seconds ?? 5;
    for (const task of launches) {
      const error = this.validateTask(fw, task, agentId);
      if (error) {
        this.masterUpdate(fw, task, 'TASK_ERROR', 'REASON_TASK_INVALID', error);
        continue;
      }
      const executor = task.executor as ExecutorInfo;
      const execKey = `${fw.id}/${agentId}/${executor.executor_id.value}`;
      const newExecutor = !this.executors.has(execKey);
      const taskQ = quantitiesOf(task.resources);
      const need = newExecutor ? add(taskQ, quantitiesOf(executor.resources)) : taskQ;
      if (!fits(need, pool)) {
        this.masterUpdate(fw, task, 'TASK_ERROR', 'REASON_TASK_INVALID', 'Task uses more resources than available in the offers');
        continue;
      }
      pool = subtract(pool, need);
      if (newExecutor) {
        this.executors.set(execKey, {
          frameworkId: fw.id, agentId, info: executor, encoded: executorKey(executor, fw.id),
          quantities: quantitiesOf(executor.resources),
        });
      }
      const record: TaskRecord = {
        frameworkId: fw.id, agentId, executorId: executor.executor_id.value, info: task, state: 'TASK_STAGING', quantities: taskQ,
      };
      this.tasks.set(task.task_id.value, record);
      if (!agent) {
        this.masterUpdate(fw, task, fw.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_AGENT_REMOVED', 'Agent is gone');
        continue;
      }
      agent.launch(fw.info, { ...executor, framework_id: { value: fw.id } }, task);
    }
    // The filter covers what the accept left unused.
    fw.filters.set(agentId, { until: Date.now() + refuse * 1000, refused: pool });
    return undefined;
  }

  private tasksOf(op: OfferOperation): TaskInfo[] {
    if (op.type === 'LAUNCH') return op.launch?.task_infos ?? [];
    if (op.type === 'LAUNCH_GROUP') {
      // Not run by the test agent: reported as errors below (no executor semantics for groups).
      return (op.launch_group?.task_group.tasks ?? []).map((t) => ({ ...t, executor: undefined }));
    }
    return [];
  }

  private validateTask(fw: FrameworkRecord, task: TaskInfo, agentId: string): string | undefined {
    if (task.agent_id.value !== agentId) return `Task uses agent ${task.agent_id.value} but the offer is from ${agentId}`;
    const existing = this.tasks.get(task.task_id.value);
    if (existing && existing.frameworkId === fw.id && !isTerminalTaskState(existing.state)) {
      return `Task has duplicate ID: ${task.task_id.value}`;
    }
    if (!task.executor) return 'The test agent runs only tasks with an ExecutorInfo (no command tasks or task groups)';
    if (!task.executor.command?.value) return "ExecutorInfo has no 'command.value'";
    const key = `${fw.id}/${agentId}/${task.executor.executor_id.value}`;
    const running = this.executors.get(key);
    if (running && running.encoded !== executorKey(task.executor, fw.id)) {
      return `ExecutorInfo is not compatible with the ExecutorInfo of the existing executor ${task.executor.executor_id.value}`;
    }
    return undefined;
  }

  /** A status update created by the master: no uuid, never retried. */
  private masterUpdate(fw: FrameworkRecord, task: TaskInfo, state: TaskState, reason: string, message: string): void {
    const status: TaskStatus = {
      task_id: task.task_id, state, source: 'SOURCE_MASTER', reason, message,
      agent_id: task.agent_id, timestamp: Date.now() / 1000,
    };
    this.sendToFramework(fw.id, { type: 'UPDATE', update: { status } });
  }

  private reconcile(fw: FrameworkRecord, list: { task_id: { value: string }; agent_id?: { value: string } }[]): void {
    const latest = (t: TaskRecord): TaskStatus => ({
      ...(t.latest ?? { task_id: t.info.task_id, state: t.state }),
      state: t.state, agent_id: { value: t.agentId }, source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION',
      message: 'Reconciliation: Latest task state', uuid: undefined, data: undefined, timestamp: Date.now() / 1000,
    });
    const send = (status: TaskStatus): void => {
      const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as unknown as TaskStatus;
      this.sendToFramework(fw.id, { type: 'UPDATE', update: { status: clean } });
    };
    if (list.length === 0) {
      for (const t of this.tasks.values()) {
        if (t.frameworkId === fw.id && !isTerminalTaskState(t.state)) send(latest(t));
      }
      return;
    }
    for (const item of list) {
      const t = this.tasks.get(item.task_id.value);
      if (t && t.frameworkId === fw.id) {
        send(latest(t));
        continue;
      }
      const agentId = item.agent_id?.value;
      const lost = agentId ? this.lostAgents.get(agentId) : undefined;
      let state: TaskState;
      let message: string;
      if (agentId && this.agents.has(agentId)) {
        state = 'TASK_GONE';
        message = 'Reconciliation: Task is unknown to the agent';
      } else if (lost?.how === 'unreachable') {
        state = 'TASK_UNREACHABLE';
        message = 'Reconciliation: Task is unreachable';
      } else if (lost?.how === 'gone') {
        state = 'TASK_GONE_BY_OPERATOR';
        message = 'Reconciliation: Task is gone';
      } else {
        state = 'TASK_UNKNOWN';
        message = 'Reconciliation: Task is unknown';
      }
      if (!fw.partitionAware) state = 'TASK_LOST';
      const status: TaskStatus = {
        task_id: item.task_id, state, source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION', message,
        timestamp: Date.now() / 1000,
      };
      if (agentId) status.agent_id = { value: agentId };
      send(status);
    }
  }

  // ---- offers ----

  allocatedOn(agentId: string): Quantities {
    let q: Quantities = {};
    for (const t of this.tasks.values()) {
      if (t.agentId === agentId && !isTerminalTaskState(t.state) && t.state !== 'TASK_UNREACHABLE') q = add(q, t.quantities);
    }
    for (const e of this.executors.values()) if (e.agentId === agentId) q = add(q, e.quantities);
    return q;
  }

  offeredOn(agentId: string): Quantities {
    let q: Quantities = {};
    for (const o of this.offers.values()) if (o.offer.agent_id.value === agentId) q = add(q, o.quantities);
    return q;
  }

  private allocate(): void {
    if (!this.leader) return;
    const now = Date.now();
    for (const fw of this.frameworks.values()) {
      if (!fw.connected || fw.suppressed || !fw.stream || fw.removed) continue;
      const offers: Offer[] = [];
      for (const agent of this.agents.values()) {
        if (!agent.running) continue;
        const free = subtract(subtract(agent.total, this.allocatedOn(agent.id)), this.offeredOn(agent.id));
        if (!allocatable(free)) continue;
        const filter = fw.filters.get(agent.id);
        if (filter && filter.until > now && fits(free, filter.refused)) continue;
        const role = fw.info.roles && fw.info.roles.length > 0 ? fw.info.roles[0] : undefined;
        const offer: Offer = {
          id: { value: `${this.clusterId}-O${this.offerSeq++}` },
          framework_id: { value: fw.id },
          agent_id: { value: agent.id },
          hostname: agent.hostname,
          resources: toResources(free, role),
          executor_ids: [...this.executors.values()]
            .filter((e) => e.agentId === agent.id && e.frameworkId === fw.id)
            .map((e) => e.info.executor_id),
        };
        if (role !== undefined) offer.allocation_info = { role };
        const record: OfferRecord = { offer, quantities: free };
        if (this.options.offerTimeoutMs !== undefined) {
          record.timer = setTimeout(() => this.removeOffer(offer.id.value, true), this.options.offerTimeoutMs);
        }
        this.offers.set(offer.id.value, record);
        offers.push(offer);
      }
      if (offers.length > 0) this.sendToFramework(fw.id, { type: 'OFFERS', offers: { offers } });
    }
  }

  private removeOffer(id: string, rescind: boolean): void {
    const o = this.offers.get(id);
    if (!o) return;
    if (o.timer) clearTimeout(o.timer);
    this.offers.delete(id);
    if (rescind) this.sendToFramework(o.offer.framework_id.value, { type: 'RESCIND', rescind: { offer_id: o.offer.id } });
  }

  // ---- from agents ----

  /** An agent forwards a status update (first delivery or a retry). */
  statusUpdate(agent: TestAgent, frameworkId: string, status: TaskStatus): void {
    const task = this.tasks.get(status.task_id.value);
    if (task) this.recordStatus(task, status);
    if (!this.leader) return;
    const fw = this.frameworks.get(frameworkId);
    if (!fw || !fw.connected) return;
    const event: SchedulerEvent = { type: 'UPDATE', update: { status: { ...status, agent_id: { value: agent.id } } } };
    this.sendToFramework(frameworkId, event);
    if (this.faults.duplicateUpdates > 0 && status.uuid) {
      this.faults.duplicateUpdates--;
      this.sendToFramework(frameworkId, event);
    }
  }

  private recordStatus(task: TaskRecord, status: TaskStatus): void {
    task.state = status.state;
    // Mesos strips `data` from the statuses it keeps: the result only lives in the live event.
    const { data: _data, ...kept } = status;
    task.latest = kept;
  }

  executorMessage(agent: TestAgent, frameworkId: string, executorId: string, data: Buffer): void {
    this.sendToFramework(frameworkId, {
      type: 'MESSAGE', message: { agent_id: { value: agent.id }, executor_id: { value: executorId }, data },
    });
  }

  executorTerminated(agent: TestAgent, frameworkId: string, executorId: string, exitStatus: number): void {
    this.executors.delete(`${frameworkId}/${agent.id}/${executorId}`);
    this.sendToFramework(frameworkId, {
      type: 'FAILURE', failure: { agent_id: { value: agent.id }, executor_id: { value: executorId }, status: exitStatus },
    });
  }

  sendToFramework(frameworkId: string, event: SchedulerEvent): void {
    const fw = this.frameworks.get(frameworkId);
    const stream = fw?.stream;
    if (!fw || !stream || stream.closed) return;
    stream.write(schedulerEventCodec.encode(event, stream.encoding));
  }

  // ---- ZooKeeper ----

  private async registerInZooKeeper(): Promise<void> {
    const zkOptions = this.options.zookeeper as { connectString: string; path: string };
    const client = zookeeper.createClient(zkOptions.connectString, { sessionTimeout: 10_000, spinDelay: 100, retries: 3 });
    this.zk = client;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('cannot connect to ZooKeeper')), 10_000);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.connect();
    });
    await new Promise<void>((resolve, reject) =>
      client.mkdirp(zkOptions.path, (err) => (err ? reject(err) : resolve())));
    for (const m of this.masters) await this.createZkNode(m);
  }

  private createZkNode(m: TestMaster): Promise<void> {
    const client = this.zk as zookeeper.Client;
    const path = (this.options.zookeeper as { path: string }).path;
    return new Promise((resolve, reject) => {
      client.create(`${path}/json.info_`, Buffer.from(m.infoJson()), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, (err, created) => {
        if (err) reject(err);
        else {
          m.zkNode = created;
          resolve();
        }
      });
    });
  }

  private removeZkNode(m: TestMaster): Promise<void> {
    const client = this.zk as zookeeper.Client;
    const node = m.zkNode;
    m.zkNode = undefined;
    if (!node) return Promise.resolve();
    return new Promise((resolve, reject) => client.remove(node, (err) => (err ? reject(err) : resolve())));
  }

  /** Re-registers masters ahead of `target` so that target's node has the lowest sequence. */
  private async reorderZooKeeper(target: number): Promise<void> {
    const seq = (m: TestMaster): number => Number(/(\d+)$/.exec(m.zkNode ?? '')?.[1] ?? Infinity);
    const targetSeq = seq(this.masters[target]);
    const ahead = this.masters.filter((m, i) => i !== target && seq(m) < targetSeq).sort((a, b) => seq(a) - seq(b));
    for (const m of ahead) {
      await this.removeZkNode(m);
      await this.createZkNode(m);
    }
  }
}

/** What makes two ExecutorInfos "the same executor": their encoding with framework_id set. */
function executorKey(info: ExecutorInfo, frameworkId: string): string {
  return codecFor<ExecutorInfo>('mesos.v1.ExecutorInfo').encode({ ...info, framework_id: { value: frameworkId } }).toString('base64');
}

export function uuidKey(uuid: Buffer): string {
  return uuidToString(uuid);
}
