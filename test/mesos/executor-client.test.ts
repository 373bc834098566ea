// The executor client in this process, against the test agent. The agent launches a stand-in
// executor (`sleep`) that never subscribes; an ExecutorClient here subscribes in its place with the
// same MESOS_* identity, as the real executor would. So the client's code runs where the tests (and
// mutation testing) can see it, while every call still meets the agent's own validation.
import { expect } from 'chai';
import * as http from 'http';
import { MemoryLogger } from '../../src/common/logger';
import { executorEventCodec } from '../../src/mesos/codec';
import { encodeRecord } from '../../src/mesos/recordio';
import { ExecutorClient, ExecutorEnvironment, readExecutorEnvironment } from '../../src/mesos/executor';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { ExecutorEvent, ExecutorInfo, Offer, SchedulerMessage, TaskInfo, TaskStatus } from '../../src/mesos/types';
import { uuidToString } from '../../src/mesos/uuid';
import type { AgentExecutor, TestAgent } from '../support/mesos/agent';
import { TestMesosCluster } from '../support/mesos/cluster';
import { ScriptedEndpoint, ScriptedRequest, scriptedEndpoint } from '../support/scripted-http';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { fastClient, fastCluster, testTask } from './helpers';

const EXECUTOR_ID = 'in-process';

/** Starts the client and waits until the agent has answered its SUBSCRIBE with SUBSCRIBED. */
async function subscribedNow(c: ExecutorClient): Promise<void> {
  const subscribed = nextEvent(c, 'subscribed');
  c.start();
  await subscribed;
}

/** An executor the agent starts and that never subscribes: the client here takes its place. */
function standInExecutor(): ExecutorInfo {
  return {
    type: 'CUSTOM',
    executor_id: { value: EXECUTOR_ID },
    name: 'stand-in executor',
    command: { value: 'exec sleep 600', shell: true },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
  };
}

describe('ExecutorClient in this process, against the test agent', function () {
  this.timeout(20000);
  let cluster: TestMesosCluster;
  let scheduler: SchedulerClient | undefined;
  let executor: ExecutorClient | undefined;
  let updates: TaskStatus[];
  let log: MemoryLogger;

  afterEach(async () => {
    await executor?.stop();
    executor = undefined;
    await scheduler?.stop();
    scheduler = undefined;
    await cluster?.stop();
  });

  interface SetUp { agent: TestAgent; offer: Offer; task: TaskInfo; record: AgentExecutor }

  /** A cluster with one agent, a scheduler, and one task launched on the stand-in executor. */
  async function setUp(agentOptions: Parameters<TestMesosCluster['addAgent']>[0] = {}, checkpoint = true): Promise<SetUp> {
    cluster = fastCluster();
    await cluster.start();
    const agent = await cluster.addAgent({ cpus: 4, mem: 1024, subscriptionBackoffMaxMs: 80, ...agentOptions });
    scheduler = fastClient(cluster.masterSpec, { framework: { user: 'nobody', name: 'executor client tests', failover_timeout: 60, checkpoint } });
    updates = [];
    const s = scheduler;
    s.on('update', (u) => {
      updates.push(u);
      void s.acknowledge(u).catch(() => undefined);
    });
    const offered = nextEvent<[Offer[]]>(s, 'offers');
    s.start();
    const [offers] = await offered;
    const offer = offers[0];
    const task = testTask(offer, {}, standInExecutor());
    await s.launch([offer.id], [task]);
    await waitFor(() => agent.executors.size === 1, 5000, 'the stand-in executor');
    const record = [...agent.executors.values()][0];
    log = new MemoryLogger();
    return { agent, offer, task, record };
  }

  /** The environment the agent gave the stand-in, as the real executor reads it. */
  function environmentOf(agent: TestAgent, overrides: Partial<ExecutorEnvironment> = {}): ExecutorEnvironment {
    return {
      ...readExecutorEnvironment({
        MESOS_FRAMEWORK_ID: scheduler?.frameworkId as string,
        MESOS_EXECUTOR_ID: EXECUTOR_ID,
        MESOS_AGENT_ENDPOINT: agent.endpoint,
        MESOS_CHECKPOINT: '1',
        MESOS_RECOVERY_TIMEOUT: '10secs',
        MESOS_SUBSCRIPTION_BACKOFF_MAX: '80ms',
      }),
      ...overrides,
    };
  }

  function client(agent: TestAgent, overrides: Partial<ExecutorEnvironment> = {}, encoding: 'json' | 'protobuf' = 'protobuf'): ExecutorClient {
    executor = new ExecutorClient({ environment: environmentOf(agent, overrides), logger: log, backoffInitialMs: 20, encoding });
    return executor;
  }

  const statesOf = (taskId: string): string[] => updates.filter((u) => u.task_id.value === taskId).map((u) => u.state);

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`subscribes, receives the queued LAUNCH, and sends updates the agent acknowledges (${encoding})`, async () => {
      const { agent, task, record } = await setUp();
      const c = client(agent, {}, encoding);
      expect(c.state.status).to.equal('idle');
      const subscribed = nextEvent<[{ container_id: { value: string } }]>(c, 'subscribed');
      const launched = nextEvent<[TaskInfo]>(c, 'launch');
      c.start();
      expect(c.state.status).to.equal('connecting');
      const [info] = await subscribed;
      expect(info.container_id.value).to.equal(record.containerId);
      expect(c.state).to.deep.include({ status: 'subscribed', subscriptions: 1 });
      const [launch] = await launched;
      expect(launch.task_id.value).to.equal(task.task_id.value);
      expect(c.state.unacknowledgedTasks).to.equal(1);

      const acked = nextEvent<[{ value: string }, Buffer]>(c, 'acknowledged');
      const uuid = c.update({ task_id: task.task_id, state: 'TASK_RUNNING', message: 'started' });
      expect(uuid.length).to.equal(16);
      expect(c.unacknowledgedUpdates.map((u) => u.state)).to.deep.equal(['TASK_RUNNING']);
      const [ackedTask, ackedUuid] = await acked;
      expect(ackedTask.value).to.equal(task.task_id.value);
      expect(ackedUuid.equals(uuid)).to.equal(true);
      expect(c.state).to.deep.include({ unacknowledgedUpdates: 0, unacknowledgedTasks: 0 });

      const sent = agent.calls.find((call) => call.type === 'UPDATE')?.update?.status;
      expect(sent?.source).to.equal('SOURCE_EXECUTOR');
      expect(sent?.executor_id?.value).to.equal(EXECUTOR_ID);
      expect(sent?.message).to.equal('started');
      expect(Math.abs((sent?.timestamp ?? 0) - Date.now() / 1000)).to.be.lessThan(60);
      await waitFor(() => statesOf(task.task_id.value).includes('TASK_RUNNING'), 5000, 'TASK_RUNNING at the scheduler');
      expect(log.has('info', new RegExp(`executor ${EXECUTOR_ID} subscribed to the agent at ${agent.endpoint}$`))).to.equal(true);
    });
  }

  it('an update made before start() goes out inside SUBSCRIBE; one made while it is under way goes out after SUBSCRIBED', async () => {
    const { agent, task, record } = await setUp();
    const c = client(agent);
    const before = c.update({ task_id: task.task_id, state: 'TASK_STARTING' });
    const subscribed = nextEvent(c, 'subscribed');
    c.start();
    c.start(); // a second start() while connecting opens no second stream
    const during = c.update({ task_id: task.task_id, state: 'TASK_RUNNING' });
    await subscribed;
    const inSubscribe = (record.lastSubscribe?.unacknowledged_updates ?? []).map((u) => uuidToString(u.status.uuid as Buffer));
    expect(inSubscribe).to.deep.equal([uuidToString(before)]);
    await waitFor(() => c.state.unacknowledgedUpdates === 0, 5000, 'both acknowledged');
    const posted = agent.calls.filter((call) => call.type === 'UPDATE').map((call) => uuidToString(call.update?.status.uuid as Buffer));
    expect(posted).to.deep.equal([uuidToString(during)]);
    expect(record.subscribeCount).to.equal(1);
    await waitFor(() => statesOf(task.task_id.value).length === 2, 5000, 'both updates at the scheduler');
    expect(statesOf(task.task_id.value)).to.deep.equal(['TASK_STARTING', 'TASK_RUNNING']);
  });

  it('after an agent restart it resubscribes with every unacknowledged task and update, oldest first', async () => {
    const { agent, task, record } = await setUp();
    const c = client(agent);
    await subscribedNow(c);
    agent.faults.dropExecutorUpdates = true; // answered 202, then lost: the client keeps them
    const first = c.update({ task_id: task.task_id, state: 'TASK_RUNNING' });
    const second = c.update({ task_id: task.task_id, state: 'TASK_FINISHED', data: Buffer.from('the partial sum') });
    await waitFor(() => agent.droppedUpdates.length === 2, 5000, 'two dropped updates');
    expect(c.state.unacknowledgedUpdates).to.equal(2);
    agent.faults.dropExecutorUpdates = false;
    const disconnected = nextEvent<[string]>(c, 'disconnected');
    const again = nextEvent(c, 'subscribed');
    await agent.restart();
    const [reason] = await disconnected;
    expect(reason).to.match(/^(the agent (closed the event stream|connection closed)|agent stream error: .+)$/);
    expect(log.lines.some((l) => l.level === 'warn' && l.msg === `lost the agent: ${reason}`)).to.equal(true);
    await again;
    expect(c.state.subscriptions).to.equal(2);
    expect(record.subscribeCount).to.equal(2);
    const resent = record.lastSubscribe?.unacknowledged_updates ?? [];
    expect(resent.map((u) => uuidToString(u.status.uuid as Buffer))).to.deep.equal([uuidToString(first), uuidToString(second)]);
    expect(record.lastSubscribe?.unacknowledged_tasks?.map((t) => t.task_id.value)).to.deep.equal([task.task_id.value]);
    expect(log.has('info', /subscribed to the agent at .* \(2 unacknowledged updates re-sent\)$/)).to.equal(true);
    await waitFor(() => c.state.unacknowledgedUpdates === 0 && c.state.unacknowledgedTasks === 0, 5000, 'all acknowledged');
    await waitFor(() => statesOf(task.task_id.value).includes('TASK_FINISHED'), 5000, 'TASK_FINISHED at the scheduler');
    expect(updates.find((u) => u.state === 'TASK_FINISHED')?.data?.toString()).to.equal('the partial sum');
  });

  it('retries SUBSCRIBE with a backoff capped at MESOS_SUBSCRIPTION_BACKOFF_MAX, then gives up past the recovery timeout', async () => {
    const { agent } = await setUp();
    // An executor ID the agent does not know: every SUBSCRIBE is refused with its 400.
    const c = client(agent, { executorId: 'nobody-launched-me', recoveryTimeoutMs: 1500, subscriptionBackoffMaxMs: 80 });
    const gaveUp = nextEvent<[string]>(c, 'give_up', 5000);
    c.start();
    const [reason] = await gaveUp;
    expect(reason).to.match(/^agent unreachable for \d+ ms, past the recovery timeout of 1500 ms \(agent answered SUBSCRIBE with HTTP 400 Executor cannot be found\)$/);
    expect(c.state.status).to.equal('gave_up');
    expect(log.has('error', /^giving up: agent unreachable/)).to.equal(true);
    const delays = log.lines.filter((l) => l.level === 'debug').map((l) => /^resubscribing to the agent in (\d+) ms/.exec(l.msg)).filter((m) => m).map((m) => Number(m?.[1]));
    expect(delays.length).to.be.greaterThan(3);
    // The first from [10, 20] (the initial 20 ms), then the ceiling doubles to the 80 ms cap.
    expect(delays[0]).to.be.within(10, 20);
    expect(Math.max(...delays)).to.be.at.most(80);
    // The last may be cut short by what is left of the recovery timeout.
    expect(delays.slice(3, -1).every((d) => d >= 40)).to.equal(true);
    const calls = agent.calls.filter((call) => call.executor_id.value === 'nobody-launched-me');
    expect(calls.length).to.equal(delays.length + 1);
    expect(calls.every((call) => call.type === 'SUBSCRIBE')).to.equal(true);
  });

  it('an agent that does not come back within the recovery timeout ends in give_up', async () => {
    const { agent } = await setUp();
    const c = client(agent, { recoveryTimeoutMs: 300 });
    await subscribedNow(c);
    const gaveUp = nextEvent<[string]>(c, 'give_up', 5000);
    await agent.crash(); // gone for good: every resubscription is refused a connection
    const [reason] = await gaveUp;
    expect(reason).to.match(/past the recovery timeout of 300 ms \(cannot reach the agent at 127\.0\.0\.1:\d+/);
    expect(c.state.status).to.equal('gave_up');
  });

  it('without checkpointing it gives up as soon as the agent goes away', async () => {
    const { agent } = await setUp({}, false);
    const c = client(agent, { checkpoint: false });
    await subscribedNow(c);
    const gaveUp = nextEvent<[string]>(c, 'give_up', 5000);
    await agent.restart();
    const [reason] = await gaveUp;
    expect(reason).to.match(/^lost the agent \(.*\) and the framework does not checkpoint$/);
    expect(c.state.subscriptions).to.equal(1);
  });

  it('delivers KILL, framework messages both ways, and SHUTDOWN', async () => {
    const { agent, offer, task } = await setUp();
    const c = client(agent);
    const launched = nextEvent(c, 'launch');
    c.start();
    await launched;
    const killed = nextEvent<[{ value: string }]>(c, 'kill');
    await scheduler?.kill(task.task_id, offer.agent_id);
    const [killedId] = await killed;
    expect(killedId.value).to.equal(task.task_id.value);

    const fromScheduler = nextEvent<[Buffer]>(c, 'message');
    await scheduler?.message(offer.agent_id, EXECUTOR_ID, Buffer.from('ping'));
    const [data] = await fromScheduler;
    expect(data.toString()).to.equal('ping');
    const toScheduler = nextEvent<[SchedulerMessage]>(scheduler as SchedulerClient, 'message');
    await c.message(Buffer.from('pong'));
    const [msg] = await toScheduler;
    expect(msg.data.toString()).to.equal('pong');
    expect(msg.executor_id.value).to.equal(EXECUTOR_ID);

    const shutdown = nextEvent(c, 'shutdown');
    await scheduler?.shutdown(EXECUTOR_ID, offer.agent_id);
    await shutdown;
  });

  it('a framework message the agent refuses is an error naming the call and the status', async () => {
    const { agent } = await setUp();
    const c = client(agent, { frameworkId: 'no-such-framework' });
    let error: Error | undefined;
    await c.message(Buffer.from('x')).catch((err: Error) => { error = err; });
    expect(error?.message).to.equal('agent refused MESSAGE: HTTP 400 Framework cannot be found');
  });
});

// Answers no agent gives on demand (events it never sends to this executor, a broken stream, a
// listener that throws, a refusal with a long body), from a scripted endpoint on loopback.
describe('ExecutorClient against a scripted agent endpoint', function () {
  this.timeout(10000);
  let endpoint: ScriptedEndpoint | undefined;
  let executor: ExecutorClient | undefined;
  let log: MemoryLogger;
  /** The requests the scripted agent has had, in order. */
  const seen = (): ScriptedRequest[] => endpoint?.requests ?? [];

  afterEach(async () => {
    await executor?.stop();
    executor = undefined;
    await endpoint?.close();
    endpoint = undefined;
  });

  async function agent(answer: (res: http.ServerResponse, n: number) => void): Promise<string> {
    endpoint = await scriptedEndpoint((res, { n }) => answer(res, n));
    return endpoint.hostPort;
  }

  function client(endpoint: string, extra: Partial<ExecutorEnvironment> = {}): ExecutorClient {
    log = new MemoryLogger();
    executor = new ExecutorClient({
      environment: { ...readExecutorEnvironment({ MESOS_FRAMEWORK_ID: 'fw', MESOS_EXECUTOR_ID: 'ex', MESOS_AGENT_ENDPOINT: endpoint, MESOS_CHECKPOINT: '1' }), ...extra },
      logger: log, backoffInitialMs: 20, encoding: 'json',
    });
    return executor;
  }

  const record = (event: ExecutorEvent): Buffer => encodeRecord(executorEventCodec.encode(event, 'json'));
  const SUBSCRIBED: ExecutorEvent = {
    type: 'SUBSCRIBED',
    subscribed: {
      executor_info: { executor_id: { value: 'ex' }, command: { value: 'x' } },
      framework_info: { user: 'nobody', name: 'fw' },
      agent_info: { hostname: 'a', resources: [] },
      container_id: { value: 'c' },
    },
  };

  it('calls carry the bearer token and the media types; 200 and 202 are success, any other status an error with its words', async () => {
    const long = 'x'.repeat(400);
    const answers: [number, string][] = [[202, ''], [200, ''], [403, ''], [500, long]];
    const endpoint = await agent((res, n) => { res.writeHead(answers[n][0]); res.end(answers[n][1]); });
    const c = client(endpoint, { authenticationToken: 'the-token' });
    await c.message(Buffer.from('a'));
    await c.message(Buffer.from('b'));
    const refusals: string[] = [];
    await c.message(Buffer.from('c')).catch((e: Error) => refusals.push(e.message));
    await c.message(Buffer.from('d')).catch((e: Error) => refusals.push(e.message));
    expect(refusals).to.deep.equal(['agent refused MESSAGE: HTTP 403', `agent refused MESSAGE: HTTP 500 ${'x'.repeat(300)}`]);
    expect(seen()[0].headers).to.include({ authorization: 'Bearer the-token', 'content-type': 'application/json', accept: 'application/json' });
    expect(JSON.parse(seen()[0].body.toString())).to.deep.include({ type: 'MESSAGE', executor_id: { value: 'ex' }, framework_id: { value: 'fw' } });
  });

  it('a refused SUBSCRIBE is retried, its reason the status and at most 200 characters of the body', async () => {
    const endpoint = await agent((res, n) => { res.writeHead(503); res.end(n === 0 ? '' : 'y'.repeat(300)); });
    const c = client(endpoint);
    c.start();
    await waitFor(() => log.lines.filter((l) => /^resubscribing/.test(l.msg)).length >= 2, 5000, 'two retries');
    const reasons = log.lines.filter((l) => l.level === 'debug').map((l) => /^resubscribing to the agent in \d+ ms \((.*)\)$/.exec(l.msg)?.[1]).filter(Boolean);
    expect(reasons[0]).to.equal('agent answered SUBSCRIBE with HTTP 503');
    expect(reasons[1]).to.equal(`agent answered SUBSCRIBE with HTTP 503 ${'y'.repeat(200)}`);
  });

  it('passes on LAUNCH_GROUP, HEARTBEAT and ERROR, ignores an event type it does not know, and survives a listener that throws', async () => {
    const endpoint = await agent((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const task = (id: string): TaskInfo => ({ name: id, task_id: { value: id }, agent_id: { value: 'a' }, resources: [] });
      for (const e of [
        SUBSCRIBED,
        { type: 'LAUNCH', launch: { task: task('t0') } },
        { type: 'LAUNCH_GROUP', launch_group: { executor: { executor_id: { value: 'ex' } }, task_group: { tasks: [task('t1'), task('t2')] } } },
        { type: 'HEARTBEAT' },
        { type: 'UNKNOWN' },
        { type: 'ERROR', error: { message: 'the agent is unhappy' } },
        { type: 'ERROR', error: {} },
      ] as ExecutorEvent[]) res.write(record(e));
    });
    const c = client(endpoint);
    const groups: string[][] = [];
    let heartbeats = 0;
    const errors: string[] = [];
    c.on('launch', () => { throw new Error('a listener bug'); });
    c.on('launch_group', (g) => groups.push((g.tasks ?? []).map((t) => t.task_id.value)));
    c.on('heartbeat', () => heartbeats++);
    c.on('mesos_error', (m) => errors.push(m));
    c.start();
    await waitFor(() => errors.length > 1, 5000, 'the ERROR events');
    expect(groups).to.deep.equal([['t1', 't2']]);
    expect(heartbeats).to.equal(1);
    expect(errors).to.deep.equal(['the agent is unhappy', 'unspecified error']);
    expect(c.state).to.deep.include({ status: 'subscribed', unacknowledgedTasks: 3 });
    expect(log.has('error', /^a listener of the LAUNCH event threw: a listener bug$/)).to.equal(true);
    expect(log.has('error', /^the agent sent ERROR: the agent is unhappy$/)).to.equal(true);
    expect(log.has('debug', /^ignoring executor event UNKNOWN$/)).to.equal(true);
  });

  it('an UPDATE the agent refuses is kept (for the next SUBSCRIBE) and the refusal logged', async () => {
    const endpoint = await agent((res) => {
      if (seen().length === 1) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(record(SUBSCRIBED));
      } else {
        res.writeHead(500);
        res.end('agent busy');
      }
    });
    const c = client(endpoint);
    await subscribedNow(c);
    c.update({ task_id: { value: 't1' }, state: 'TASK_RUNNING' });
    await waitFor(() => log.lines.some((l) => l.level === 'warn'), 5000, 'the refusal');
    expect(log.lines.find((l) => l.level === 'warn')?.msg).to.equal(
      'UPDATE TASK_RUNNING for task t1 not delivered (agent refused UPDATE: HTTP 500 agent busy); kept for resubscription');
    expect(c.state.unacknowledgedUpdates).to.equal(1);
  });

  it('a stream that ends before SUBSCRIBED is no lost agent: even without checkpointing it subscribes again', async () => {
    const endpoint = await agent((res, n) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (n === 0) res.end();
      else res.write(record(SUBSCRIBED));
    });
    const c = client(endpoint, { checkpoint: false });
    let lost = 0;
    c.on('disconnected', () => lost++);
    let gaveUp = false;
    c.on('give_up', () => { gaveUp = true; });
    await subscribedNow(c);
    expect({ lost, gaveUp, subscriptions: c.state.subscriptions }).to.deep.equal({ lost: 0, gaveUp: false, subscriptions: 1 });
    expect(seen()).to.have.length(2);
  });

  it('stop() ends the stream for good: its close is no lost agent and brings no resubscription', async () => {
    let closed: Promise<void> | undefined;
    const endpoint = await agent((res) => {
      closed = new Promise((r) => res.socket?.once('close', () => r()));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(record(SUBSCRIBED));
    });
    const c = client(endpoint);
    let lost = 0;
    c.on('disconnected', () => lost++);
    await subscribedNow(c);
    await c.stop();
    // The agent saw the connection go. The client destroyed it in stop() and handles its own close
    // on the next tick, before this process reads the agent side's end of the socket. A client that
    // took that close for a lost agent would have logged it by now (the log line comes before the
    // backoff, so no waiting for a resubscription is needed).
    await closed;
    expect(c.state.status).to.equal('stopped');
    expect(lost).to.equal(0);
    expect(log.lines.filter((l) => /lost the agent|resubscribing/.test(l.msg))).to.deep.equal([]);
    expect(seen()).to.have.length(1);
  });

  for (const [what, bytes, logged] of [
    ['bytes that are not RecordIO', Buffer.from('<html>502 Bad Gateway</html>\n'), /^malformed event stream from the agent: /],
    ['a record that is not an event', encodeRecord(Buffer.from('{"type": 12')), /^undecodable event from the agent: /],
  ] as const) {
    it(`${what} on the stream: logged, the stream dropped, and it subscribes again`, async () => {
      const endpoint = await agent((res, n) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(record(SUBSCRIBED));
        if (n === 0) res.write(bytes);
      });
      const c = client(endpoint);
      const lost = nextEvent<[string]>(c, 'disconnected');
      c.start();
      const [reason] = await lost;
      expect(log.lines.some((l) => l.level === 'error' && logged.test(l.msg))).to.equal(true);
      expect(log.lines.find((l) => l.level === 'warn')?.msg).to.equal(`lost the agent: ${reason}`);
      await waitFor(() => c.state.subscriptions === 2, 5000, 'the second subscription');
      expect(seen()).to.have.length(2);
    });
  }
});
