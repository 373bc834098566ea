// The real pi executor program (dist/src/executor/main.js) run by the test agent as a child
// process, driven by a SchedulerClient in the test playing the framework: results, bad payloads,
// KILL, SHUTDOWN, agent restarts with lost updates, and the idle exit.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { decodeResult, encodeTask, RangeTask } from '../../src/executor/task-codec';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { ExecutorInfo, Offer, SchedulerFailure, TaskInfo, TaskStatus } from '../../src/mesos/types';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import { TestAgent, TestAgentOptions } from '../support/mesos/agent';
import { TestMesosCluster } from '../support/mesos/cluster';
import { EXECUTOR_MAIN } from '../support/pi-cluster';
import { waitFor } from '../support/wait';
import { fastClient, fastCluster } from '../mesos/helpers';

const EXECUTOR_ID = 'pi-mesos-executor';
const DIGITS = 20;

/** One ExecutorInfo for every task: Mesos wants it byte-identical for one executor. */
const EXECUTOR: ExecutorInfo = {
  type: 'CUSTOM',
  executor_id: { value: EXECUTOR_ID },
  name: 'pi-mesos executor (test)',
  command: { value: process.execPath, arguments: ['node', EXECUTOR_MAIN], shell: false },
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }],
};

function rangeTask(start: number, count: number): RangeTask {
  return { rangeId: `${start}+${count}`, start, count, digits: DIGITS };
}

/** A range that runs for far longer than any test: it only ever ends by KILL or SHUTDOWN. */
const FOREVER = rangeTask(0, 2 ** 50);

let seq = 0;

describe('pi-mesos-executor (the real program, run by a test agent)', function () {
  this.timeout(30_000);
  let cluster: TestMesosCluster | undefined;
  let client: SchedulerClient | undefined;
  let agent: TestAgent;
  let updates: TaskStatus[];
  let failures: SchedulerFailure[];
  const offers: Offer[] = [];

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  async function setUp(agentOptions: Partial<TestAgentOptions> = {}, env: Record<string, string> = {}): Promise<void> {
    cluster = fastCluster();
    await cluster.start();
    agent = await cluster.addAgent({
      cpus: 4, mem: 2048, subscriptionBackoffMaxMs: 100, recoveryTimeoutMs: 20_000,
      ...agentOptions,
      env: { PI_MESOS_EXECUTOR_IDLE_SECONDS: '0', PI_MESOS_LOG_LEVEL: 'debug', ...env },
    });
    updates = [];
    failures = [];
    offers.length = 0;
    const c = fastClient(cluster.masterSpec, {
      framework: { user: 'nobody', name: 'pi executor tests', failover_timeout: 60, checkpoint: true },
    });
    client = c;
    c.on('update', (s) => {
      updates.push(s);
      void c.acknowledge(s).catch(() => undefined);
    });
    c.on('offers', (o) => offers.push(...o));
    c.on('failure', (f) => failures.push(f));
    c.start();
  }

  /** Launches tasks carrying `payloads` on the next offer; returns their task IDs. */
  async function launch(...payloads: Buffer[]): Promise<string[]> {
    await waitFor(() => offers.length > 0, 5000, 'an offer');
    const offer = offers.shift() as Offer;
    const tasks: TaskInfo[] = payloads.map((data) => {
      const id = `pi-test-${process.pid}-${seq++}`;
      return {
        name: id,
        task_id: { value: id },
        agent_id: offer.agent_id,
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
        executor: EXECUTOR,
        data,
      };
    });
    // refuse_seconds 0: what is left of the offer comes back at once for the next launch.
    const res = await (client as SchedulerClient).launch([offer.id], tasks, { refuse_seconds: 0 });
    expect(res.status).to.equal(202);
    return tasks.map((t) => t.task_id.value);
  }

  const statusesOf = (id: string): TaskStatus[] => updates.filter((u) => u.task_id.value === id);
  const statesOf = (id: string): string[] => statusesOf(id).map((u) => u.state);
  const terminal = (id: string): TaskStatus | undefined =>
    statusesOf(id).find((u) => !['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING'].includes(u.state));
  const waitState = (id: string, state: string, ms = 15_000): Promise<unknown> =>
    waitFor(() => statesOf(id).includes(state), ms, `${state} for ${id} (got ${statesOf(id).join(', ') || 'nothing'})`);

  function expectExactResult(status: TaskStatus | undefined, task: RangeTask): void {
    expect(status?.state).to.equal('TASK_FINISHED');
    const r = decodeResult(status?.data, { task });
    const exact = sumRange(task, scaleFor(DIGITS));
    expect(r.rangeId).to.equal(task.rangeId);
    expect(r.value).to.equal(exact.value);
    expect(r.errUnits).to.equal(exact.errUnits);
  }

  const sandboxLog = (sandbox: string): string => fs.readFileSync(path.join(sandbox, 'stderr'), 'utf8');

  it('reports each range of a task of several in a TASK_RUNNING update\'s data, the last in TASK_FINISHED', async () => {
    await setUp();
    const first = rangeTask(0, 320_000);
    const more = [{ start: 320_000, count: 96_000 }, { start: 241 * 16_384, count: 3 * 16_384 }];
    const [id] = await launch(encodeTask({ ...first, more }));
    await waitState(id, 'TASK_FINISHED');
    expect(statesOf(id)).to.deep.equal(['TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_FINISHED']);
    const withData = statusesOf(id).filter((u) => u.data?.length);
    expect(withData.map((u) => u.state)).to.deep.equal(['TASK_RUNNING', 'TASK_RUNNING', 'TASK_FINISHED']);
    const ranges = [first, ...more];
    withData.forEach((u, i) => {
      const r = decodeResult(u.data, { task: rangeTask(ranges[i].start, ranges[i].count) });
      expect(r.value).to.equal(sumRange(ranges[i], scaleFor(DIGITS)).value);
    });
  });

  it('reports RUNNING, then FINISHED with the exact sum of its range in data', async () => {
    await setUp();
    const a = rangeTask(0, 1_000_000);
    const b = rangeTask(241 * 16_384, 196 * 16_384); // in the groups (from 2^21 terms on)
    const [ida, idb] = await launch(encodeTask(a), encodeTask(b));
    await waitState(ida, 'TASK_FINISHED');
    await waitState(idb, 'TASK_FINISHED');
    expect(statesOf(ida)).to.deep.equal(['TASK_RUNNING', 'TASK_FINISHED']);
    expect(statesOf(idb)).to.deep.equal(['TASK_RUNNING', 'TASK_FINISHED']);
    expectExactResult(terminal(ida), a);
    expectExactResult(terminal(idb), b);
    for (const s of [...statusesOf(ida), ...statusesOf(idb)]) {
      expect(s.source).to.equal('SOURCE_EXECUTOR');
      expect(s.uuid?.length).to.equal(16);
    }
    // One executor for both tasks, subscribed once.
    expect(agent.executors.size).to.equal(1);
    expect([...agent.executors.values()][0].subscribeCount).to.equal(1);
  });

  it('fails a malformed payload with a message that says what was wrong, and keeps working', async () => {
    await setUp();
    const unaligned = encodeTask({ rangeId: '3+100', start: 3, count: 100, digits: DIGITS });
    const wrongId = encodeTask({ rangeId: '0+64', start: 0, count: 32, digits: DIGITS });
    const badDigits = encodeTask({ rangeId: '0+32', start: 0, count: 32, digits: 3 });
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x07, 0x00, 0x13]);
    const ids = await launch(garbage, unaligned, Buffer.alloc(0), wrongId, badDigits);
    for (const id of ids) await waitState(id, 'TASK_FAILED');
    const messages = ids.map((id) => terminal(id)?.message ?? '');
    expect(messages[0]).to.match(/not a pimesos\.RangeTask/);
    expect(messages[1]).to.match(/range \[3, 103\) is not aligned to 32 terms/);
    expect(messages[2]).to.match(/no payload/);
    expect(messages[3]).to.match(/range_id "0\+64" does not match range 0\+32/);
    expect(messages[4]).to.match(/digits 3 is outside 10\.\.10000/);
    for (const id of ids) {
      expect(statesOf(id), 'a bad task never runs').to.deep.equal(['TASK_FAILED']);
      expect(terminal(id)?.source).to.equal('SOURCE_EXECUTOR');
    }
    // The executor is still there and computes the next good task.
    const good = rangeTask(64, 640);
    const [id] = await launch(encodeTask(good));
    await waitState(id, 'TASK_FINISHED');
    expectExactResult(terminal(id), good);
    expect(failures, 'the executor did not die').to.deep.equal([]);
  });

  it('kills a long-running task at once on KILL and stays usable for the next task', async () => {
    await setUp();
    const [long] = await launch(encodeTask(FOREVER));
    await waitState(long, 'TASK_RUNNING');
    const killedAt = Date.now();
    await (client as SchedulerClient).kill(long, agent.id);
    await waitState(long, 'TASK_KILLED', 5000);
    const tookMs = Date.now() - killedAt;
    expect(statesOf(long)).to.deep.equal(['TASK_RUNNING', 'TASK_KILLED']);
    expect(terminal(long)?.source, 'the executor reported it, not the agent').to.equal('SOURCE_EXECUTOR');
    expect(tookMs, 'KILL is prompt (the worker thread is terminated, not waited for)').to.be.below(5000);
    const next = rangeTask(32, 2_000_000);
    const [id] = await launch(encodeTask(next));
    await waitState(id, 'TASK_FINISHED');
    expectExactResult(terminal(id), next);
    expect(failures).to.deep.equal([]);
    expect([...agent.executors.values()][0].subscribeCount).to.equal(1);
  });

  it('ends within the grace period on SHUTDOWN, reporting TASK_KILLED for what was running', async () => {
    await setUp({ executorShutdownGracePeriodMs: 4000 });
    const [a, b] = await launch(encodeTask(FOREVER), encodeTask(rangeTask(2 ** 50, 2 ** 50)));
    await waitState(a, 'TASK_RUNNING');
    await waitState(b, 'TASK_RUNNING');
    const { sandbox, process: child } = [...agent.executors.values()][0];
    const pid = child?.pid;
    expect(pid).to.be.a('number');
    await (client as SchedulerClient).shutdown(EXECUTOR_ID, agent.id);
    await waitFor(() => failures.length > 0, 8000, 'the executor to exit');
    // Exit status 0: it exited by itself; the agent's SIGKILL at the end of the grace period would give 137.
    expect(failures[0].status).to.equal(0);
    expect(failures[0].executor_id?.value).to.equal(EXECUTOR_ID);
    for (const id of [a, b]) {
      await waitState(id, 'TASK_KILLED', 5000);
      expect(statesOf(id)).to.deep.equal(['TASK_RUNNING', 'TASK_KILLED']);
      expect(terminal(id)?.source, `${id}: the executor reported it before exiting`).to.equal('SOURCE_EXECUTOR');
    }
    expect(agent.executors.size).to.equal(0);
    expect(() => process.kill(pid as number, 0)).to.throw();
    expect(sandboxLog(sandbox)).to.match(/shutting down: the agent asked for shutdown/);
  });

  it('re-sends an unacknowledged TASK_FINISHED after an agent restart, and it reaches the framework with its data', async () => {
    await setUp();
    // The agent takes the executor's updates but loses them, as if it died before checkpointing.
    agent.faults.dropExecutorUpdates = true;
    const task = rangeTask(640, 2 ** 21 - 640 + 70 * 16_384);
    const [id] = await launch(encodeTask(task));
    await waitFor(() => agent.droppedUpdates.some((u) => u.task_id.value === id && u.state === 'TASK_FINISHED'), 15_000, 'the dropped TASK_FINISHED');
    expect(statesOf(id)).to.deep.equal([]);
    agent.faults.dropExecutorUpdates = false;
    await agent.restart();
    await waitState(id, 'TASK_FINISHED');
    expect(statesOf(id)).to.deep.equal(['TASK_RUNNING', 'TASK_FINISHED']);
    expectExactResult(terminal(id), task);
    const e = [...agent.executors.values()][0];
    expect(e.subscribeCount).to.equal(2);
    const resent = e.lastSubscribe?.unacknowledged_updates ?? [];
    expect(resent.map((u) => u.status.state)).to.deep.equal(['TASK_RUNNING', 'TASK_FINISHED']);
    const dropped = agent.droppedUpdates.find((u) => u.state === 'TASK_FINISHED') as TaskStatus;
    expect(resent[1].status.uuid?.equals(dropped.uuid as Buffer), 'the same update, not a new one').to.equal(true);
    expect(resent[1].status.data?.equals(dropped.data as Buffer)).to.equal(true);
    expect(failures).to.deep.equal([]);
  });

  it('keeps its task through an agent restart while it runs, and delivers the result', async () => {
    await setUp();
    const task = rangeTask(0, 2 ** 31);
    const [id] = await launch(encodeTask(task));
    await waitState(id, 'TASK_RUNNING');
    // Down for a while: the task may finish while the agent is away; its update is kept either way.
    await agent.restart(300);
    await waitFor(() => ([...agent.executors.values()][0]?.subscribeCount ?? 0) >= 2, 10_000, 'the executor to resubscribe');
    await waitState(id, 'TASK_FINISHED');
    expect(statesOf(id).filter((s) => s === 'TASK_FINISHED')).to.have.length(1);
    expectExactResult(terminal(id), task);
    expect(failures).to.deep.equal([]);
  });

  it('exits when idle, but only once everything it sent is acknowledged', async () => {
    await setUp({}, { PI_MESOS_EXECUTOR_IDLE_SECONDS: '0.3' });
    agent.faults.dropExecutorUpdates = true;
    const task = rangeTask(0, 320_000);
    const [id] = await launch(encodeTask(task));
    await waitFor(() => agent.droppedUpdates.some((u) => u.state === 'TASK_FINISHED'), 15_000, 'the dropped TASK_FINISHED');
    // Idle but holding an unacknowledged result: it must stay for the agent to come back. A window
    // of several idle periods (observation only; the assertion cannot pass by timing).
    const until = Date.now() + 1500;
    await waitFor(() => Date.now() > until || agent.executors.size === 0, 3000, 'the observation window');
    expect(agent.executors.size, 'the executor stayed while its update was unacknowledged').to.equal(1);
    expect(failures).to.deep.equal([]);
    const sandbox = [...agent.executors.values()][0].sandbox;
    agent.faults.dropExecutorUpdates = false;
    await agent.restart();
    await waitState(id, 'TASK_FINISHED');
    expectExactResult(terminal(id), task);
    await waitFor(() => failures.length > 0, 5000, 'the idle executor to exit');
    expect(failures[0].status).to.equal(0);
    expect(agent.executors.size).to.equal(0);
    expect(sandboxLog(sandbox)).to.match(/executor exiting \(idle for/);
  });
});
