import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { parseMesosDuration } from '../../src/mesos/duration';
import { EXECUTOR_PATH, ExecutorClient, readExecutorEnvironment } from '../../src/mesos/executor';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, SchedulerFailure, SchedulerMessage, TaskStatus } from '../../src/mesos/types';
import { TestAgent } from '../support/mesos/agent';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { fastClient, fastCluster, testTask } from './helpers';

describe('executor environment', () => {
  it('reads the MESOS_* variables the agent sets, with Mesos durations', () => {
    const env = readExecutorEnvironment({
      MESOS_FRAMEWORK_ID: 'fw', MESOS_EXECUTOR_ID: 'ex', MESOS_AGENT_ENDPOINT: '10.0.0.7:5051',
      MESOS_CHECKPOINT: '1', MESOS_RECOVERY_TIMEOUT: '15mins', MESOS_SUBSCRIPTION_BACKOFF_MAX: '250ms',
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '5secs', MESOS_SANDBOX: '/sb',
    });
    expect(env).to.include({
      frameworkId: 'fw', executorId: 'ex', agentEndpoint: '10.0.0.7:5051', checkpoint: true,
      recoveryTimeoutMs: 900_000, subscriptionBackoffMaxMs: 250, shutdownGracePeriodMs: 5000, sandbox: '/sb', scheme: 'http',
    });
    expect(readExecutorEnvironment({ MESOS_FRAMEWORK_ID: 'f', MESOS_EXECUTOR_ID: 'e', MESOS_AGENT_ENDPOINT: 'a:1', MESOS_CHECKPOINT: '0' }).checkpoint).to.equal(false);
  });

  it('reads checkpointing and TLS as the agent writes them, and leaves unset what is unset', () => {
    const base = { MESOS_FRAMEWORK_ID: 'f', MESOS_EXECUTOR_ID: 'e', MESOS_AGENT_ENDPOINT: 'a:1' };
    for (const [value, on] of [['1', true], ['true', true], ['TRUE', true], ['0', false], ['false', false], ['', false]] as const) {
      expect(readExecutorEnvironment({ ...base, MESOS_CHECKPOINT: value }).checkpoint, `MESOS_CHECKPOINT=${value}`).to.equal(on);
      expect(readExecutorEnvironment({ ...base, MESOS_SSL_ENABLED: value }).scheme, `MESOS_SSL_ENABLED=${value}`).to.equal(on ? 'https' : 'http');
    }
    expect(readExecutorEnvironment({ ...base, LIBPROCESS_SSL_ENABLED: 'true' }).scheme).to.equal('https');
    const bare = readExecutorEnvironment(base);
    expect(bare).to.deep.include({ checkpoint: false, scheme: 'http', recoveryTimeoutMs: 900_000, subscriptionBackoffMaxMs: 2000 });
    expect(bare.shutdownGracePeriodMs).to.equal(undefined);
    expect(bare.authenticationToken).to.equal(undefined);
    expect(readExecutorEnvironment({ ...base, MESOS_EXECUTOR_AUTHENTICATION_TOKEN: '' }).authenticationToken).to.equal(undefined);
    expect(readExecutorEnvironment({ ...base, MESOS_EXECUTOR_AUTHENTICATION_TOKEN: 'tok' }).authenticationToken).to.equal('tok');
    expect(readExecutorEnvironment({ ...base, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '3secs' }).shutdownGracePeriodMs).to.equal(3000);
    expect(() => readExecutorEnvironment({ ...base, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: 'later' })).to.throw(/^MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: /);
    // The client reads process.env, or the environment it is given.
    expect(new ExecutorClient({ env: { ...base, MESOS_AGENT_ENDPOINT: 'agent-7:5051' } }).environment.agentEndpoint).to.equal('agent-7:5051');
    expect(EXECUTOR_PATH).to.equal('/api/v1/executor');
  });

  it('names the missing variable and rejects a bad duration', () => {
    expect(() => readExecutorEnvironment({ MESOS_FRAMEWORK_ID: 'f' })).to.throw(/MESOS_EXECUTOR_ID is not set/);
    expect(() => readExecutorEnvironment({
      MESOS_FRAMEWORK_ID: 'f', MESOS_EXECUTOR_ID: 'e', MESOS_AGENT_ENDPOINT: 'a:1', MESOS_RECOVERY_TIMEOUT: 'soon',
    })).to.throw(/MESOS_RECOVERY_TIMEOUT: not a Mesos duration/);
    expect(parseMesosDuration('1.5secs')).to.equal(1500);
    expect(parseMesosDuration('2hrs')).to.equal(7_200_000);
  });
});

describe('ExecutorClient through the test agent (real executor processes)', function () {
  this.timeout(20000);
  let cluster: TestMesosCluster;
  let client: SchedulerClient | undefined;
  let updates: TaskStatus[];

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await cluster?.stop();
  });

  async function setUp(agentOptions: Parameters<TestMesosCluster['addAgent']>[0] = {}, checkpoint = true): Promise<{ agent: TestAgent; offer: Offer }> {
    cluster = fastCluster();
    await cluster.start();
    const agent = await cluster.addAgent({ cpus: 4, mem: 1024, subscriptionBackoffMaxMs: 50, ...agentOptions });
    client = fastClient(cluster.masterSpec, {
      framework: { user: 'nobody', name: 'executor tests', failover_timeout: 60, checkpoint },
    });
    updates = [];
    const c = client;
    c.on('update', (s) => {
      updates.push(s);
      void c.acknowledge(s);
    });
    const offered = nextEvent<[Offer[]]>(c, 'offers');
    c.start();
    const [offers] = await offered;
    return { agent, offer: offers[0] };
  }

  const stateOf = (taskId: string): string[] => updates.filter((u) => u.task_id.value === taskId).map((u) => u.state);

  it('launches the executor with the MESOS_* environment; it subscribes and runs tasks', async () => {
    const { agent, offer } = await setUp();
    const task = testTask(offer, { mode: 'finish', result: 'ok' });
    await client?.launch([offer.id], [task]);
    await waitFor(() => stateOf(task.task_id.value).includes('TASK_FINISHED'), 8000, 'TASK_FINISHED');
    const executor = [...agent.executors.values()][0];
    expect(executor.subscribeCount).to.equal(1);
    const subscribe = agent.calls.find((c) => c.type === 'SUBSCRIBE');
    expect(subscribe?.executor_id.value).to.equal('test-executor');
    expect(subscribe?.framework_id.value).to.equal(client?.frameworkId);
    const update = agent.calls.find((c) => c.type === 'UPDATE');
    expect(update?.update?.status.uuid?.length).to.equal(16);
    expect(update?.update?.status.source).to.equal('SOURCE_EXECUTOR');
  });

  it('re-sends unacknowledged updates after an agent restart, within the recovery timeout', async () => {
    const { agent, offer } = await setUp({ recoveryTimeoutMs: 10000 });
    // The agent loses the executor's updates, as if it died before checkpointing them.
    agent.faults.dropExecutorUpdates = true;
    const task = testTask(offer, { mode: 'finish', result: 'the exact partial sum' });
    await client?.launch([offer.id], [task]);
    await waitFor(() => agent.droppedUpdates.length === 2, 8000, 'two dropped updates');
    expect(stateOf(task.task_id.value)).to.deep.equal([]);
    agent.faults.dropExecutorUpdates = false;
    await agent.restart();
    await waitFor(() => stateOf(task.task_id.value).includes('TASK_FINISHED'), 8000, 'TASK_FINISHED after restart');
    expect(stateOf(task.task_id.value)).to.deep.equal(['TASK_RUNNING', 'TASK_FINISHED']);
    const executor = [...agent.executors.values()][0];
    expect(executor.subscribeCount).to.equal(2);
    const resent = executor.lastSubscribe?.unacknowledged_updates ?? [];
    expect(resent.map((u) => u.status.state)).to.deep.equal(['TASK_RUNNING', 'TASK_FINISHED']);
    expect(resent[1].status.uuid?.equals(agent.droppedUpdates[1].uuid as Buffer)).to.equal(true);
    expect(executor.lastSubscribe?.unacknowledged_tasks?.map((t) => t.task_id.value)).to.deep.equal([task.task_id.value]);
    const finished = updates.find((u) => u.state === 'TASK_FINISHED');
    expect(finished?.data?.toString()).to.equal('the exact partial sum');
  });

  it('gives up and exits when the agent stays away past the recovery timeout', async () => {
    const { agent, offer } = await setUp({ recoveryTimeoutMs: 300 });
    const task = testTask(offer, { mode: 'run' });
    const failure = nextEvent<[SchedulerFailure]>(client as SchedulerClient, 'failure', 10000);
    await client?.launch([offer.id], [task]);
    await waitFor(() => stateOf(task.task_id.value).includes('TASK_RUNNING'), 8000, 'TASK_RUNNING');
    const sandbox = [...agent.executors.values()][0].sandbox;
    void agent.restart(1500);
    const [f] = await failure;
    expect(f.status).to.equal(2 << 8); // a wait status, as Mesos reports it: exit code 2 (give_up)
    expect(f.executor_id?.value).to.equal('test-executor');
    await waitFor(() => stateOf(task.task_id.value).includes('TASK_FAILED'), 8000, 'TASK_FAILED');
    const failed = updates.find((u) => u.state === 'TASK_FAILED');
    expect(failed?.reason).to.equal('REASON_EXECUTOR_TERMINATED');
    expect(failed?.source).to.equal('SOURCE_AGENT');
    expect(fs.readFileSync(path.join(sandbox, 'stderr'), 'utf8')).to.match(/past the recovery timeout of 300 ms/);
  });

  it('without checkpointing, the executor gives up as soon as the agent goes away', async () => {
    const { agent, offer } = await setUp({ recoveryTimeoutMs: 10000 }, false);
    const task = testTask(offer, { mode: 'run' });
    const failure = nextEvent<[SchedulerFailure]>(client as SchedulerClient, 'failure', 10000);
    await client?.launch([offer.id], [task]);
    await waitFor(() => stateOf(task.task_id.value).includes('TASK_RUNNING'), 8000, 'TASK_RUNNING');
    await agent.restart();
    const [f] = await failure;
    expect(f.status).to.equal(2 << 8);
  });

  it('delivers KILL, SHUTDOWN and framework messages both ways', async () => {
    const { agent, offer } = await setUp();
    const c = client as SchedulerClient;
    const a = testTask(offer, { mode: 'run' });
    const b = testTask(offer, { mode: 'run' });
    await c.launch([offer.id], [a, b]);
    await waitFor(() => stateOf(a.task_id.value).includes('TASK_RUNNING') && stateOf(b.task_id.value).includes('TASK_RUNNING'), 8000, 'both RUNNING');
    expect(agent.executors.size).to.equal(1); // one executor per executor_id per agent
    const echoed = nextEvent<[SchedulerMessage]>(c, 'message');
    await c.message(offer.agent_id, 'test-executor', Buffer.from('ping'));
    const [msg] = await echoed;
    expect(msg.data.toString()).to.equal('echo:ping');
    expect(msg.executor_id.value).to.equal('test-executor');
    await c.kill(a.task_id, offer.agent_id);
    await waitFor(() => stateOf(a.task_id.value).includes('TASK_KILLED'), 8000, 'a KILLED');
    const failure = nextEvent<[SchedulerFailure]>(c, 'failure');
    await c.shutdown('test-executor', offer.agent_id);
    await waitFor(() => stateOf(b.task_id.value).includes('TASK_KILLED'), 8000, 'b KILLED');
    const [f] = await failure;
    expect(f.status).to.equal(0);
    await waitFor(() => agent.executors.size === 0, 5000, 'executor gone');
  });

  it('reports TASK_FAILED (from the agent) and FAILURE when the executor dies', async () => {
    const { offer } = await setUp();
    const c = client as SchedulerClient;
    const task = testTask(offer, { mode: 'exit', code: 3 });
    const failure = nextEvent<[SchedulerFailure]>(c, 'failure');
    await c.launch([offer.id], [task]);
    const [f] = await failure;
    expect(f.status).to.equal(3 << 8);
    await waitFor(() => stateOf(task.task_id.value).includes('TASK_FAILED'), 8000, 'TASK_FAILED');
    expect(stateOf(task.task_id.value)).to.deep.equal(['TASK_RUNNING', 'TASK_FAILED']);
  });
});
