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
import {
  decodeCall, negotiate, readBody, RecordIOStream, reply, requestEncoding, responseEncoding, trackSockets, validUuid,
} from './http-util';
import {
  addRes, allocatable, allocatableTo, containsRes, formatRes, fromProto, MRes, quantitiesOf, subtractRes, toProto,
  toResources, unallocated, withAllocation,
} from './resources';

export interface TestClusterOptions {
  /** Number of masters (default 1); the first leads. */
  masters?: number;
  /** HEARTBEAT interval sent to schedulers (default 15 s, as Mesos; tests use ~0.1). */
  heartbeatIntervalSeconds?: number;
  /** How often free resources are offered (default 50 ms). */
  allocationIntervalMs?: number;
  /** Rescind offers not answered within this time (default: never). */
  offerTimeoutMs?: number;
  /**
   * Agents re-send an unacknowledged status update after this long, doubling each time up to
   * statusUpdateRetryMaxMs (default 10 s, as Mesos' STATUS_UPDATE_RETRY_INTERVAL_MIN).
   */
  statusUpdateRetryMs?: number;
  /** The ceiling of that backoff (default 60 × statusUpdateRetryMs: 10 min for Mesos' 10 s). */
  statusUpdateRetryMaxMs?: number;
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
  /** True while every role of the framework is suppressed. */
  suppressed: boolean;
  /** Roles the framework subscribed with: `roles` for MULTI_ROLE, else `role` (default "*"). */
  roles: string[];
  multiRole: boolean;
  /** Roles that get no offers (SUPPRESS, or SUBSCRIBE's suppressed_roles) until REVIVE. */
  suppressedRoles: Set<string>;
  /**
   * agent id → refused resource sets, each for one role and until when (epoch ms). As in Mesos'
   * allocator (hierarchical.cpp RefusedOfferFilter), an offer is held back only while everything
   * it would hold is among the refused resources: resources freed later make a new offer at once.
   */
  filters: Map<string, OfferFilter[]>;
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
  /** As allocated (allocation info injected). */
  resources: MRes[];
  /** The terminal update was acknowledged: the master forgets the task (Master::removeTask). */
  removed?: boolean;
}

export interface OfferFilter { role: string; until: number; refused: MRes[] }

interface OfferRecord {
  offer: Offer;
  role: string;
  resources: MRes[];
  timer?: NodeJS.Timeout;
}

interface ExecutorRecordM {
  frameworkId: string;
  agentId: string;
  /** As the master keeps it: framework_id set, allocation info injected into its resources. */
  info: ExecutorInfo;
  resources: MRes[];
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
  readonly statusUpdateRetryMaxMs: number;
  /**
   * Agents the (new) leader knows from its registry but that have not re-registered since a
   * failover (Master's slaves.recovered): their tasks are unknown to it until they do.
   */
  readonly recoveringAgents = new Set<string>();
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
    this.statusUpdateRetryMaxMs = options.statusUpdateRetryMaxMs ?? this.statusUpdateRetryMs * 60;
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
  async failover(to?: number, options: { keepConnections?: boolean; agentsReregister?: 'at-once' | 'manual' | number } = {}): Promise<void> {
    const from = this.leaderIndex;
    const target = to ?? ((from ?? -1) + 1) % this.masters.length;
    this.leaderIndex = target;
    // A new leader knows the agents from its registry but not their tasks until each agent
    // re-registers (Mesos: up to --agent_reregister_timeout). 'at-once' keeps the old behaviour.
    const reregister = options.agentsReregister ?? 'at-once';
    if (reregister !== 'at-once') {
      for (const id of this.agents.keys()) this.recoveringAgents.add(id);
      for (const [id, o] of this.offers) if (this.recoveringAgents.has(o.offer.agent_id.value)) this.removeOffer(id, false);
      if (typeof reregister === 'number') {
        const ids = [...this.recoveringAgents];
        setTimeout(() => { for (const id of ids) this.reregisterAgent(id); }, reregister).unref();
      }
    }
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

  /**
   * A recovering agent re-registers with the leader: its tasks are known again, and it resends
   * its pending status updates (the task status update manager resumes).
   */
  reregisterAgent(agentId: string): void {
    if (!this.recoveringAgents.delete(agentId)) return;
    this.logger.info(`test master: agent ${agentId} re-registered`);
    this.agents.get(agentId)?.resumeStatusUpdates();
  }

  /** The leader knows this agent and its tasks (registered and not recovering). */
  agentRegistered(agentId: string): boolean {
    return this.agents.has(agentId) && !this.recoveringAgents.has(agentId);
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
    const decoded = decodeCall(body, enc.request, (b, e) => operatorCallCodec.decode(b, e));
    if (!decoded.call) {
      reply(res, 400, decoded.error as string);
      return;
    }
    const call = decoded.call;
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
    const view = (rs: MRes[]) => toProto(rs, { multiRole: true, refinement: true });
    return {
      agent_info: { hostname: agent.hostname, port: agent.port, id: { value: agent.id }, resources: view(agent.totalRes) },
      active: agent.running,
      version: '1.12.0',
      pid: `slave(1)@127.0.0.1:${agent.port}`,
      registered_time: { nanoseconds: agent.registeredAt * 1e6 },
      total_resources: view(agent.totalRes),
      allocated_resources: view(this.allocatedResOn(agent.id)),
      offered_resources: view(this.offeredResOn(agent.id)),
    };
  }

  metrics(master: TestMaster): Record<string, number> {
    const elected = this.leader === master;
    let cpusTotal = 0;
    let memTotal = 0;
    let cpusUsed = 0;
    let memUsed = 0;
    for (const a of this.agents.values()) {
      const total = quantitiesOf(a.totalRes);
      cpusTotal += total.cpus ?? 0;
      memTotal += total.mem ?? 0;
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

  /**
   * The scheduler endpoint in the order master/http.cpp `Http::scheduler` checks things:
   * Content-Type (400/415), parsing (400), call validation (400 "Failed to validate
   * scheduler::Call: …"), Accept for SUBSCRIBE only (406), then for other calls the framework
   * (400 "Framework cannot be found"), its connection (403) and the stream ID (400).
   */
  private async handleScheduler(master: TestMaster, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const request = requestEncoding(req, res);
    if (!request) return;
    const body = await readBody(req);
    const decoded = decodeCall(body, request, (b, e) => schedulerCallCodec.decode(b, e));
    if (!decoded.call) {
      reply(res, 400, decoded.error as string);
      return;
    }
    const call = decoded.call;
    this.calls.push(call);
    this.emit('call', call);
    const invalid = validateSchedulerCall(call);
    if (invalid) {
      reply(res, 400, `Failed to validate scheduler::Call: ${invalid}`);
      return;
    }
    const streamHeader = req.headers['mesos-stream-id'] as string | undefined;
    if (call.type === 'SUBSCRIBE') {
      const response = responseEncoding(req, res);
      if (!response) return;
      if (streamHeader !== undefined) {
        reply(res, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
        return;
      }
      this.subscribe(master, call, response, res);
      return;
    }
    const fw = call.framework_id ? this.frameworks.get(call.framework_id.value) : undefined;
    if (!fw || fw.removed) {
      reply(res, 400, 'Framework cannot be found');
      return;
    }
    if (!fw.connected) {
      reply(res, 403, 'Framework is not subscribed');
      return;
    }
    if (streamHeader === undefined) {
      reply(res, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
      return;
    }
    if (fw.streamId !== streamHeader) {
      reply(res, 400, `The stream ID '${streamHeader}' included in this request didn't match the stream ID currently associated with framework ID ${fw.id}`);
      return;
    }
    if (call.type === 'UNKNOWN') {
      reply(res, 501);
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
        id, info, connected: false, removed: false, suppressed: false, roles: [], multiRole: false,
        suppressedRoles: new Set(), filters: new Map(), subscribeCount: 0, partitionAware: false,
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
    const caps = new Set((info.capabilities ?? []).map((c) => c.type));
    fw.partitionAware = caps.has('PARTITION_AWARE');
    fw.multiRole = caps.has('MULTI_ROLE');
    fw.roles = fw.multiRole ? [...new Set(info.roles ?? [])] : [info.role ?? '*'];
    // SUBSCRIBE replaces the suppressed roles (Master::subscribe → allocator updateFramework).
    fw.suppressedRoles = new Set((call.subscribe?.suppressed_roles ?? []).filter((r) => fw?.roles.includes(r)));
    this.updateSuppressed(fw);
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
    // The master tells the agents (UpdateFrameworkMessage): each resends its pending updates now.
    for (const agent of this.agents.values()) if (this.agentRegistered(agent.id)) agent.resumeStatusUpdates();
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
        for (const id of call.decline?.offer_ids ?? []) {
          const o = this.offers.get(id.value);
          if (!o || o.offer.framework_id.value !== fw.id) continue;
          this.removeOffer(id.value, false);
          this.addFilter(fw, o.offer.agent_id.value, o.role, o.resources, call.decline?.filters?.refuse_seconds);
        }
        return undefined;
      }
      case 'REVIVE': {
        const roles = this.callRoles(fw, call.revive?.roles);
        if (!roles) return undefined;
        for (const role of roles) {
          fw.suppressedRoles.delete(role);
          for (const [agentId, list] of fw.filters) fw.filters.set(agentId, list.filter((f) => f.role !== role));
        }
        for (const [agentId, list] of fw.filters) if (list.length === 0) fw.filters.delete(agentId);
        this.updateSuppressed(fw);
        return undefined;
      }
      case 'SUPPRESS': {
        const roles = this.callRoles(fw, call.suppress?.roles);
        if (!roles) return undefined;
        for (const role of roles) fw.suppressedRoles.add(role);
        this.updateSuppressed(fw);
        return undefined;
      }
      case 'KILL': {
        const k = call.kill;
        if (!k) return undefined;
        const task = this.knownTask(fw, k.task_id.value);
        if (!task) {
          // Master::kill: an unknown task is reconciled instead.
          this.reconcile(fw, [{ task_id: k.task_id, agent_id: k.agent_id }]);
          return undefined;
        }
        if (k.agent_id && k.agent_id.value !== task.agentId) return undefined;
        this.agents.get(task.agentId)?.killTask(fw.id, k.task_id.value);
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
        // The master forgets a task once its terminal update is acknowledged (Master::acknowledge).
        const task = this.tasks.get(a.task_id.value);
        if (task && task.frameworkId === fw.id && isTerminalTaskState(task.state) && task.latest?.uuid?.equals(a.uuid)) {
          task.removed = true;
        }
        this.agents.get(a.agent_id.value)?.acknowledge(fw.id, a.task_id.value, a.uuid);
        return undefined;
      }
      case 'RECONCILE':
        this.reconcile(fw, call.reconcile?.tasks ?? []);
        return undefined;
      case 'ACCEPT_INVERSE_OFFERS':
      case 'DECLINE_INVERSE_OFFERS':
      case 'REQUEST':
      case 'ACKNOWLEDGE_OPERATION_STATUS':
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

  /**
   * ACCEPT as Master::accept/_accept: invalid offers drop every task (TASK_LOST, or TASK_DROPPED
   * for partition-aware frameworks); otherwise the offer's allocation info goes into every
   * resource that lacks it, each task is validated against what is left of the offers
   * (validation.cpp task::validate, TASK_ERROR with Mesos' message), and an executor new on the
   * agent is charged once, with its first task.
   */
  private accept(fw: FrameworkRecord, call: SchedulerCall): string | undefined {
    const accept = call.accept ?? {};
    const offerIds = (accept.offer_ids ?? []).map((o) => o.value);
    const launches: TaskInfo[] = [];
    for (const op of accept.operations ?? []) launches.push(...this.tasksOf(op));
    const invalid = this.validateOffers(fw, offerIds);
    const records = offerIds.map((id) => this.offers.get(id)).filter((r): r is OfferRecord => r !== undefined);
    for (const id of offerIds) this.removeOffer(id, false);
    if (invalid) {
      for (const t of launches) {
        this.masterUpdate(fw, t, fw.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_INVALID_OFFERS', `Task launched with invalid offers: ${invalid}`);
      }
      return undefined;
    }
    const agentId = records[0].offer.agent_id.value;
    const role = records[0].role;
    const agent = this.agents.get(agentId);
    let pool: MRes[] = [];
    for (const r of records) pool = addRes(pool, r.resources);
    for (const original of launches) {
      // protobuf::injectAllocationInfo, and ExecutorInfo.framework_id filled in.
      const task: TaskInfo = { ...original, resources: injectAllocation(original.resources, role) };
      if (task.executor) {
        task.executor = { ...task.executor, framework_id: { value: fw.id }, resources: injectAllocation(task.executor.resources, role) };
      }
      const error = this.validateTask(fw, task, agentId, pool);
      if (error) {
        this.masterUpdate(fw, task, 'TASK_ERROR', 'REASON_TASK_INVALID', error);
        continue;
      }
      const executor = task.executor as ExecutorInfo;
      const execKey = `${fw.id}/${agentId}/${executor.executor_id.value}`;
      const taskRes = fromProto(task.resources);
      let consumed = taskRes;
      if (!this.executors.has(execKey)) {
        const execRes = fromProto(executor.resources);
        this.executors.set(execKey, { frameworkId: fw.id, agentId, info: executor, resources: execRes });
        consumed = addRes(execRes, taskRes);
      }
      pool = subtractRes(pool, consumed);
      const record: TaskRecord = {
        frameworkId: fw.id, agentId, executorId: executor.executor_id.value, info: task, state: 'TASK_STAGING', resources: taskRes,
      };
      this.tasks.set(task.task_id.value, record);
      if (!agent) {
        this.masterUpdate(fw, task, fw.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_AGENT_REMOVED', 'Agent is gone');
        continue;
      }
      agent.launch(fw.info, executor, task);
    }
    // What the accept left unused goes back, filtered for refuse_seconds (recoverResources).
    if (pool.length > 0) this.addFilter(fw, agentId, role, pool, accept.filters?.refuse_seconds);
    return undefined;
  }

  /** validation.cpp offer::validate, in its order; the first problem or undefined. */
  private validateOffers(fw: FrameworkRecord, offerIds: string[]): string | undefined {
    if (offerIds.length === 0) return 'No offers specified';
    const seen = new Set<string>();
    for (const id of offerIds) {
      if (seen.has(id)) return `Duplicate offer ${id} in offer list`;
      seen.add(id);
    }
    for (const id of offerIds) if (!this.offers.has(id)) return `Offer ${id} is no longer valid`;
    for (const id of offerIds) {
      const o = this.offers.get(id) as OfferRecord;
      if (o.offer.framework_id.value !== fw.id) {
        return `Offer ${id} has invalid framework ${o.offer.framework_id.value} while framework ${fw.id} is expected`;
      }
    }
    const first = this.offers.get(offerIds[0]) as OfferRecord;
    for (const id of offerIds.slice(1)) {
      const o = this.offers.get(id) as OfferRecord;
      if (o.role !== first.role) {
        return `Aggregated offers must be allocated to the same role. Offer ${id} uses role ${o.role} but another is using role ${first.role}`;
      }
    }
    for (const id of offerIds.slice(1)) {
      const o = this.offers.get(id) as OfferRecord;
      if (o.offer.agent_id.value !== first.offer.agent_id.value) {
        return `Aggregated offers must belong to one single agent. Offer ${id} uses agent ${o.offer.agent_id.value} and offer ${offerIds[0]} uses agent ${first.offer.agent_id.value}`;
      }
    }
    if (!this.agentRegistered(first.offer.agent_id.value)) return `Offer ${offerIds[0]} is no longer valid`;
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

  /**
   * validation.cpp task::validate for a LAUNCH with a custom executor, in Mesos' order and
   * words: IDs, uniqueness, agent, resources, then the executor (type, command, framework,
   * compatibility with a live executor of that ID), then whether the offers hold task plus (new)
   * executor, compared with reservations and allocation role (Resources::contains).
   */
  private validateTask(fw: FrameworkRecord, task: TaskInfo, agentId: string, offered: MRes[]): string | undefined {
    const idError = validateId(task.task_id.value);
    if (idError) return idError;
    if (this.knownTask(fw, task.task_id.value)) return `Task has duplicate ID: ${task.task_id.value}`;
    if (task.agent_id.value !== agentId) return `Task uses invalid agent ${task.agent_id.value} while agent ${agentId} is expected`;
    const taskRes = fromProto(task.resources);
    if ((task.resources ?? []).length === 0) return 'Task uses no resources';
    const roles = [...new Set(taskRes.map((r) => r.allocRole))];
    if (roles.length > 1) {
      return `Invalid task resources: The resources have multiple allocation roles ('${roles[1]}' and '${roles[0]}') but only one allocation role is allowed`;
    }
    if (!task.executor === !task.command) return 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present';
    if (!task.executor) return 'The test agent runs only tasks with an ExecutorInfo (no command tasks or task groups)';
    const executor = task.executor;
    if (executor.type === 'DEFAULT') return 'The test agent runs no DEFAULT executor';
    if (!executor.command) return executor.type === 'CUSTOM' ? "'ExecutorInfo.command' must be set for 'CUSTOM' executor" : "'ExecutorInfo.command' must be set";
    const execIdError = validateId(executor.executor_id.value);
    if (execIdError) return execIdError;
    const running = this.executors.get(`${fw.id}/${agentId}/${executor.executor_id.value}`);
    if (running && !sameExecutorInfo(running.info, executor)) {
      return 'ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n'
        + '------------------------------------------------------------\n'
        + `Existing ExecutorInfo:\n${JSON.stringify(running.info)}\n`
        + '------------------------------------------------------------\n'
        + `ExecutorInfo:\n${JSON.stringify(executor)}\n`
        + '------------------------------------------------------------\n';
    }
    if (executor.type !== undefined && executor.type !== 'CUSTOM') return "'ExecutorInfo.type' must be 'CUSTOM'";
    let total = taskRes;
    if (!running) total = addRes(total, fromProto(executor.resources));
    if (!containsRes(offered, total)) {
      return `Total resources ${formatRes(total)} required by task and its executor is more than available ${formatRes(offered)}`;
    }
    return undefined;
  }

  /** The task as the leader knows it: not yet forgotten, and not on an agent still recovering. */
  private knownTask(fw: FrameworkRecord, taskId: string): TaskRecord | undefined {
    const t = this.tasks.get(taskId);
    if (!t || t.frameworkId !== fw.id || t.removed || this.recoveringAgents.has(t.agentId)) return undefined;
    return t;
  }

  private addFilter(fw: FrameworkRecord, agentId: string, role: string, refused: MRes[], refuseSeconds: number | undefined): void {
    // hierarchical.cpp recoverResources: default 5 s, negative → default, capped at 365 days; 0 installs none.
    let seconds = refuseSeconds ?? 5;
    if (seconds < 0 || !Number.isFinite(seconds)) seconds = 5;
    seconds = Math.min(seconds, 365 * 86400);
    if (seconds === 0) return;
    const list = fw.filters.get(agentId) ?? [];
    list.push({ role, until: Date.now() + seconds * 1000, refused });
    fw.filters.set(agentId, list);
  }

  /** The roles a SUPPRESS/REVIVE names (all of the framework's when empty); undefined drops the call. */
  private callRoles(fw: FrameworkRecord, roles: string[] | undefined): string[] | undefined {
    if (!roles || roles.length === 0) return fw.roles;
    for (const role of roles) {
      if (!fw.roles.includes(role)) {
        this.logger.warn(`test master: dropping call: role '${role}' is not one of the frameworks's subscribed roles`);
        return undefined;
      }
    }
    return roles;
  }

  private updateSuppressed(fw: FrameworkRecord): void {
    fw.suppressed = fw.roles.every((r) => fw.suppressedRoles.has(r));
  }

  /** A status update created by the master: no uuid, never retried. */
  private masterUpdate(fw: FrameworkRecord, task: TaskInfo, state: TaskState, reason: string, message: string): void {
    const status: TaskStatus = {
      task_id: task.task_id, state, source: 'SOURCE_MASTER', reason, message,
      agent_id: task.agent_id, timestamp: Date.now() / 1000,
    };
    this.sendToFramework(fw.id, { type: 'UPDATE', update: { status } });
  }

  /**
   * Master::reconcile. Implicit: the latest state of every task the master holds (terminal ones
   * too, until their update is acknowledged). Explicit: a known task's latest state; nothing at
   * all while the named agent (or, without an agent, any agent) has not re-registered after a
   * failover; else GONE / UNREACHABLE / GONE_BY_OPERATOR / UNKNOWN by what is known of the agent
   * (TASK_LOST for frameworks that are not partition-aware).
   */
  private reconcile(fw: FrameworkRecord, list: { task_id: { value: string }; agent_id?: { value: string } }[]): void {
    const send = (status: TaskStatus): void => {
      const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as unknown as TaskStatus;
      this.sendToFramework(fw.id, { type: 'UPDATE', update: { status: clean } });
    };
    const latest = (t: TaskRecord): TaskStatus => ({
      task_id: t.info.task_id, state: t.state, source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION',
      message: 'Reconciliation: Latest task state', agent_id: { value: t.agentId },
      executor_id: t.executorId ? { value: t.executorId } : undefined,
      timestamp: Date.now() / 1000, healthy: t.latest?.healthy,
    });
    if (list.length === 0) {
      for (const t of this.tasks.values()) {
        if (t.frameworkId === fw.id && this.knownTask(fw, t.info.task_id.value)) send(latest(t));
      }
      return;
    }
    for (const item of list) {
      const t = this.knownTask(fw, item.task_id.value);
      if (t) {
        send(latest(t));
        continue;
      }
      const agentId = item.agent_id?.value;
      if ((agentId && this.recoveringAgents.has(agentId)) || (!agentId && this.recoveringAgents.size > 0)) {
        this.logger.info(`test master: dropping reconciliation of task ${item.task_id.value}: agent(s) not yet re-registered`);
        continue;
      }
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
      if (lost?.how === 'unreachable') status.unreachable_time = { nanoseconds: lost.time * 1e6 };
      send(status);
    }
  }

  // ---- offers ----

  /** Resources of live tasks and executors on the agent (allocation info dropped). */
  allocatedResOn(agentId: string): MRes[] {
    let q: MRes[] = [];
    for (const t of this.tasks.values()) {
      if (t.agentId === agentId && !isTerminalTaskState(t.state) && t.state !== 'TASK_UNREACHABLE') q = addRes(q, t.resources);
    }
    for (const e of this.executors.values()) if (e.agentId === agentId) q = addRes(q, e.resources);
    return unallocated(q);
  }

  offeredResOn(agentId: string): MRes[] {
    let q: MRes[] = [];
    for (const o of this.offers.values()) if (o.offer.agent_id.value === agentId) q = addRes(q, o.resources);
    return unallocated(q);
  }

  allocatedOn(agentId: string): Record<string, number> {
    return quantitiesOf(this.allocatedResOn(agentId));
  }

  offeredOn(agentId: string): Record<string, number> {
    return quantitiesOf(this.offeredResOn(agentId));
  }

  /**
   * One allocation cycle (hierarchical.cpp, without DRF or quota): for each framework, each of
   * its roles that is not suppressed gets, per agent, the free resources it may use (unreserved
   * ones and those reserved for it), unless a refused-resources filter of that role and agent
   * still covers them all. One offer per role and agent (Master::offer) with `url`, and
   * `executor_ids` of the framework's live executors there.
   */
  private allocate(): void {
    if (!this.leader) return;
    const now = Date.now();
    for (const fw of this.frameworks.values()) {
      if (!fw.connected || !fw.stream || fw.removed) continue;
      for (const [agentId, list] of fw.filters) {
        const live = list.filter((f) => f.until > now);
        if (live.length === 0) fw.filters.delete(agentId);
        else fw.filters.set(agentId, live);
      }
      const offers: Offer[] = [];
      for (const agent of this.agents.values()) {
        if (!agent.running || this.recoveringAgents.has(agent.id)) continue;
        let free = subtractRes(subtractRes(agent.totalRes, this.allocatedResOn(agent.id)), this.offeredResOn(agent.id));
        for (const role of fw.roles) {
          if (fw.suppressedRoles.has(role)) continue;
          const mine = allocatableTo(free, role);
          if (!allocatable(mine)) continue;
          const offered = withAllocation(mine, role);
          const filters = fw.filters.get(agent.id) ?? [];
          if (filters.some((f) => f.role === role && containsRes(f.refused, offered))) continue;
          free = subtractRes(free, mine);
          const offer: Offer = {
            id: { value: `${this.clusterId}-O${this.offerSeq++}` },
            framework_id: { value: fw.id },
            agent_id: { value: agent.id },
            hostname: agent.hostname,
            url: { scheme: 'http', address: { hostname: agent.hostname, ip: '127.0.0.1', port: agent.port }, path: '/slave(1)' },
            resources: toProto(offered, { multiRole: fw.multiRole, refinement: fw.info.capabilities?.some((c) => c.type === 'RESERVATION_REFINEMENT') }),
            executor_ids: [...this.executors.values()]
              .filter((e) => e.agentId === agent.id && e.frameworkId === fw.id)
              .map((e) => e.info.executor_id),
          };
          if (fw.multiRole) offer.allocation_info = { role };
          const record: OfferRecord = { offer, role, resources: offered };
          if (this.options.offerTimeoutMs !== undefined) {
            record.timer = setTimeout(() => this.removeOffer(offer.id.value, true), this.options.offerTimeoutMs);
          }
          this.offers.set(offer.id.value, record);
          offers.push(offer);
        }
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

  executorTerminated(agent: TestAgent, frameworkId: string, executorId: string, exitStatus: number | undefined): void {
    this.executors.delete(`${frameworkId}/${agent.id}/${executorId}`);
    const failure: NonNullable<SchedulerEvent['failure']> = { agent_id: { value: agent.id }, executor_id: { value: executorId } };
    if (exitStatus !== undefined) failure.status = exitStatus;
    this.sendToFramework(frameworkId, { type: 'FAILURE', failure });
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

/**
 * operator== for ExecutorInfo (src/common/type_utils.cpp): type, executor_id, data, resources
 * (as Resources: reservations and allocation role count, order does not), command (URIs in any
 * order but without `cache`, arguments in order, environment in any order, value, user,
 * shell), framework_id, name, source, container and discovery (not in the trimmed protos). Labels do not count.
 */
export function sameExecutorInfo(a: ExecutorInfo, b: ExecutorInfo): boolean {
  const enc = (x: unknown): string => JSON.stringify(x ?? null);
  const resources = (x: ExecutorInfo): string => enc(addRes([], fromProto(x.resources))
    .map((r) => JSON.stringify(r)).sort());
  const uri = (u: { value: string; executable?: boolean; extract?: boolean; output_file?: string }): string =>
    enc([u.value, u.executable ?? false, u.extract ?? true, u.output_file ?? '']);
  const vars = (c: ExecutorInfo['command']): string => enc((c?.environment?.variables ?? []).map((v) => enc([v.name, v.type ?? 'VALUE', v.value ?? ''])).sort());
  const ca = a.command ?? {};
  const cb = b.command ?? {};
  return (a.type ?? null) === (b.type ?? null)
    && a.executor_id.value === b.executor_id.value
    && enc(a.data ? Buffer.from(a.data).toString('base64') : '') === enc(b.data ? Buffer.from(b.data).toString('base64') : '')
    && resources(a) === resources(b)
    && enc((ca.uris ?? []).map(uri).sort()) === enc((cb.uris ?? []).map(uri).sort())
    && enc(ca.arguments ?? []) === enc(cb.arguments ?? [])
    && vars(ca) === vars(cb)
    && (ca.value ?? '') === (cb.value ?? '')
    && (ca.user ?? '') === (cb.user ?? '')
    && (ca.shell ?? true) === (cb.shell ?? true)
    && (a.framework_id?.value ?? '') === (b.framework_id?.value ?? '')
    && (a.name ?? '') === (b.name ?? '')
    && (a.source ?? '') === (b.source ?? '')
    && enc((a as { container?: unknown }).container) === enc((b as { container?: unknown }).container);
}

/** protobuf::injectAllocationInfo: the offer's role into every resource that has none. */
function injectAllocation(resources: TaskInfo['resources'], role: string): TaskInfo['resources'] {
  return (resources ?? []).map((r) => (r.allocation_info?.role !== undefined ? r : { ...r, allocation_info: { role } }));
}

/** common/validation.cpp validateID. */
function validateId(id: string): string | undefined {
  if (id.length === 0) return 'ID must not be empty';
  if (id.length > 255) return 'ID must not be greater than 255 characters';
  if (id === '.' || id === '..') return `'${id}' is disallowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f/\\]/.test(id)) return `'${id}' contains invalid characters`;
  return undefined;
}

/** master/validation.cpp scheduler::call::validate (the checks that apply to a decoded call). */
function validateSchedulerCall(call: SchedulerCall): string | undefined {
  if (!call.type) return "Expecting 'type' to be present";
  if (call.type === 'SUBSCRIBE') {
    if (!call.subscribe) return "Expecting 'subscribe' to be present";
    const info = call.subscribe.framework_info;
    if (!info || info.user === undefined || info.name === undefined) {
      return `Not initialized: ${[!info || info.user === undefined ? 'subscribe.framework_info.user' : '', !info || info.name === undefined ? 'subscribe.framework_info.name' : ''].filter(Boolean).join(', ')}`;
    }
    if ((info.id?.value ?? null) !== (call.framework_id?.value ?? null)) return "'framework_id' differs from 'subscribe.framework_info.id'";
    return undefined;
  }
  if (!call.framework_id) return "Expecting 'framework_id' to be present";
  const required: Partial<Record<string, keyof SchedulerCall>> = {
    ACCEPT: 'accept', DECLINE: 'decline', ACCEPT_INVERSE_OFFERS: 'accept_inverse_offers', DECLINE_INVERSE_OFFERS: 'decline_inverse_offers',
    KILL: 'kill', SHUTDOWN: 'shutdown', ACKNOWLEDGE: 'acknowledge', ACKNOWLEDGE_OPERATION_STATUS: 'acknowledge_operation_status',
    RECONCILE: 'reconcile', RECONCILE_OPERATIONS: 'reconcile_operations', MESSAGE: 'message', REQUEST: 'request',
    UPDATE_FRAMEWORK: 'update_framework',
  };
  const field = required[call.type];
  if (field && (call as unknown as Record<string, unknown>)[field] === undefined) return `Expecting '${field}' to be present`;
  if (call.type === 'ACKNOWLEDGE' && !validUuid(call.acknowledge?.uuid)) return 'Not a valid UUID';
  if (call.type === 'UPDATE_FRAMEWORK' && call.update_framework?.framework_info.id?.value !== call.framework_id.value) {
    return "'framework_id' differs from 'update_framework.framework_info.id'";
  }
  return undefined;
}

export function uuidKey(uuid: Buffer): string {
  return uuidToString(uuid);
}
