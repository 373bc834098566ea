import { expect } from 'chai';
import { EventEmitter } from 'events';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { MesosBackend } from '../../src/framework/mesos-backend';
import { executorInfoFor, ExecutorTemplate } from '../../src/framework/executor-identity';
import { PiFramework } from '../../src/framework/pi-framework';
import { encodeResult, decodeTask } from '../../src/executor/task-codec';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import type { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, Resource, TaskInfo, TaskStatus } from '../../src/mesos/types';
import { waitFor } from '../support/wait';

/** Records the calls the backend makes; events are emitted by the test. */
class FakeClient extends EventEmitter {
  subscribed = true;
  calls: { type: string; args: unknown[] }[] = [];
  launched: TaskInfo[] = [];
  failLaunch = false;
  /** Calls of these types fail this many more times each (a master that is briefly away). */
  failNext: Record<string, number> = {};
  start(): void { this.calls.push({ type: 'start', args: [] }); }
  async stop(): Promise<void> {}
  private record(type: string, ...args: unknown[]): Promise<{ status: number }> {
    this.calls.push({ type, args });
    if ((this.failNext[type] ?? 0) > 0) {
      this.failNext[type]--;
      return Promise.reject(new Error(`${type} timed out`));
    }
    return Promise.resolve({ status: 202 });
  }
  decline(ids: unknown, filters: unknown) { return this.record('decline', ids, filters); }
  async launch(ids: unknown, tasks: TaskInfo[], filters: unknown) {
    if (this.failLaunch) throw new Error('connection refused');
    this.launched.push(...tasks);
    return this.record('launch', ids, tasks, filters);
  }
  suppress(roles: unknown) { return this.record('suppress', roles); }
  revive(roles: unknown) { return this.record('revive', roles); }
  kill(taskId: unknown, agentId: unknown) { return this.record('kill', taskId, agentId); }
  reconcile(tasks: unknown) { return this.record('reconcile', tasks); }
  async acknowledge(status: TaskStatus) { if (status.uuid) await this.record('acknowledge', status.task_id.value); return null; }
  failure(f: unknown) { this.emit('failure', f); }
  of(type: string) { return this.calls.filter((c) => c.type === type); }
}

const TEMPLATE: ExecutorTemplate = {
  name: 'pi-mesos executor', cpus: 0.05, memMb: 96,
  command: { shell: false, value: '/usr/bin/env', arguments: ['env', 'node', 'dist/src/executor/main.js'] },
};
const plain = (name: string, value: number): Resource => ({ name, type: 'SCALAR', scalar: { value } });
/** The ExecutorID of TEMPLATE carved from unreserved entries: what a live executor of ours is called. */
const LIVE_ID = executorInfoFor(TEMPLATE, [plain('cpus', 0.05), plain('mem', 96)]).executor_id.value;

function offer(id: string, agent: string, cpus: number, mem: number, executorRunning = false, resources?: Resource[]): Offer {
  return {
    id: { value: id }, framework_id: { value: 'fw' }, agent_id: { value: agent }, hostname: `${agent}.lan`,
    resources: resources ?? [plain('cpus', cpus), plain('mem', mem)],
    executor_ids: executorRunning ? [{ value: LIVE_ID }] : [],
  };
}

function finished(t: TaskInfo, uuid = true): TaskStatus {
  const task = decodeTask(t.data);
  const sum = sumRange(task, scaleFor(20));
  return {
    task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FINISHED',
    data: encodeResult({ ...sum, rangeId: task.rangeId, computeSeconds: 0.01 }),
    uuid: uuid ? Buffer.alloc(16, 1) : undefined,
  };
}

describe('Mesos backend (against a recording client)', () => {
  let dir: string;
  let now: number;
  let fw: PiFramework;
  let client: FakeClient;
  let backend: MesosBackend;
  // One per test: lines left by an earlier test (or by an earlier mutant's run of the same test,
  // in Stryker's long-lived worker) must not satisfy this test's logger.has().
  let logger: MemoryLogger;

  async function setUp(maxTerms: number): Promise<void> {
    logger = new MemoryLogger();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-backend-'));
    now = 1_000_000;
    fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger, targetTaskSeconds: 1, maxTerms, defaultRate: 320, now: () => now });
    client = new FakeClient();
    backend = new MesosBackend({
      fw, client: client as unknown as SchedulerClient, logger, role: 'pi', now: () => now,
      executor: TEMPLATE, executorHint: 'Set --executor-node (PI_MESOS_EXECUTOR_NODE).', fetchHint: 'check --executor-url-host.',
      taskCpus: 0.95, taskMemMb: 32, reviveIntervalMs: 5000, stagingTimeoutMs: 60_000,
      callRetryMs: 1, callRetryMaxMs: 2, reconcileRetryMs: 5000, reconcileRetryMaxMs: 20_000, agentBackoffMs: 30_000,
    });
  }
  afterEach(async () => { await backend.stop(); await fs.rm(dir, { recursive: true, force: true }); });

  it('packs one task per CPU share into an offer, leaving room for the executor once', async () => {
    await setUp(32 * 1000);
    client.emit('offers', [offer('o1', 'a1', 4, 4096), offer('o2', 'a2', 4, 4096, true), offer('o3', 'a3', 2, 100)]);
    await waitFor(() => client.of('launch').length === 2 && client.of('decline').length === 1, 2000, 'launches');
    const per = (a: string) => client.launched.filter((t) => t.agent_id.value === a).length;
    expect(per('a1')).to.equal(4); // 4·0.95 + 0.05 = 3.85 ≤ 4
    expect(per('a2')).to.equal(4);
    expect(per('a3')).to.equal(0); // 100 MB − 96 MB for the executor leaves no room for a 32 MB task
    // Intent first: every launched task is in the checkpoint on disk.
    const onDisk = JSON.parse(await fs.readFile(PiFramework.stateFile(dir), 'utf8'));
    expect(onDisk.ledger.inFlight.map((t: { taskId: string }) => t.taskId).sort())
      .to.include.members(client.launched.map((t) => t.task_id.value));
    expect(client.of('decline')).to.have.length(1); // o3, too small
    expect(backend.idleReason()).to.equal(null);
  });

  it('acknowledges an update only after it is persisted, and never one without a uuid', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    const t = client.launched[0];
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING' } as TaskStatus); // reconciliation-style: no uuid
    client.emit('update', finished(t));
    await waitFor(() => client.of('acknowledge').length === 1, 2000, 'ack');
    const onDisk = JSON.parse(await fs.readFile(PiFramework.stateFile(dir), 'utf8'));
    expect(onDisk.ledger.prefixEnd).to.equal(320);
    expect(fw.complete).to.equal(true);
  });

  it('declines with a long filter and suppresses when there is no work, revives (rate-limited) when a range comes back', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    client.emit('offers', [offer('o2', 'a2', 4, 4096)]);
    await waitFor(() => client.of('suppress').length === 1, 2000, 'suppress');
    const decline = client.of('decline')[0];
    expect((decline.args[1] as { refuse_seconds: number }).refuse_seconds).to.be.at.least(300);
    expect(backend.idleReason()).to.equal(null); // one task is still running
    // The task fails: its range must be computed again, so offers are wanted again.
    const t = client.launched[0];
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', message: 'oom', uuid: Buffer.alloc(16, 2) });
    await waitFor(() => client.of('acknowledge').length === 1, 2000, 'ack');
    expect(logger.has('warn', /task .* failed \(oom\); range 0\+320 requeued, attempt 1/)).to.equal(true);
    // The range waits out its retry backoff (1 s), then offers are wanted again.
    expect(client.of('revive')).to.have.length(0);
    now += 1000;
    (backend as unknown as { onTick(): void }).onTick();
    expect(client.of('revive')).to.have.length(1);
    client.emit('offers', [offer('o4', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 2, 2000, 'relaunch');
    const t2 = client.launched[1];
    client.emit('offers', [offer('o5', 'a2', 4, 4096)]);
    await waitFor(() => client.of('suppress').length === 2, 2000, 'suppress again');
    // A second failure soon after must not revive again at once: REVIVE is rate-limited.
    client.emit('update', { task_id: t2.task_id, agent_id: t2.agent_id, state: 'TASK_LOST', uuid: Buffer.alloc(16, 3) });
    await waitFor(() => client.of('acknowledge').length === 2, 2000, 'ack');
    now += 2000; // past the range's 2 s backoff, but within 5 s of the last REVIVE
    (backend as unknown as { onTick(): void }).onTick();
    expect(client.of('revive')).to.have.length(1);
    now += 3000;
    (backend as unknown as { onTick(): void }).onTick();
    expect(client.of('revive')).to.have.length(2);
  });

  it('kills a task stuck in STAGING and requeues its range', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    now += 61_000;
    (backend as unknown as { onTick(): void }).onTick();
    await waitFor(() => fw.ledger.inFlightCount === 0, 2000, 'requeue');
    expect(client.of('kill')).to.have.length(1);
    expect(fw.ledger.queuedTerms).to.equal(320);
  });

  it('waits for the data of a task reconciliation reports finished, instead of rerunning it', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    const t = client.launched[0];
    const { data: _d, uuid: _u, ...stripped } = finished(t);
    client.emit('update', { ...stripped, reason: 'REASON_RECONCILIATION' });
    now += 10_000;
    (backend as unknown as { onTick(): void }).onTick();
    expect(fw.ledger.inFlightCount).to.equal(1); // still waiting, not requeued
    client.emit('update', finished(t)); // the agent's live update arrives
    await waitFor(() => fw.complete, 2000, 'merge');
    expect(fw.ledger.acc.prefixValue).to.equal(sumRange({ start: 0, count: 320 }, scaleFor(20)).value);
  });

  it('puts the ranges of a failed launch call back at once', async () => {
    await setUp(32 * 10);
    client.failLaunch = true;
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => fw.ledger.queuedTerms === 320, 2000, 'requeue');
    expect(fw.ledger.inFlightCount).to.equal(0);
  });

  const tick = (): void => (backend as unknown as { onTick(): void }).onTick();
  const totals = (tasks: TaskInfo[], kind: (r: Resource) => boolean, name: string): number =>
    Math.round(tasks.flatMap((t) => t.resources ?? []).filter((r) => r.name === name && kind(r)).reduce((a, r) => a + r.scalar!.value, 0) * 1000) / 1000;

  it('takes task and executor resources from the offer\'s own entries: reservations and allocation_info kept', async () => {
    await setUp(32 * 1000);
    const alloc = { allocation_info: { role: 'pi' } };
    const reserved: Resource[] = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: 'pi', ...alloc },
      { name: 'mem', type: 'SCALAR', scalar: { value: 2048 }, role: 'pi', ...alloc },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 }, role: '*', ...alloc },
      { name: 'mem', type: 'SCALAR', scalar: { value: 100 }, role: '*', ...alloc },
    ];
    client.emit('offers', [offer('o1', 'a1', 0, 0, false, reserved)]);
    await waitFor(() => client.launched.length > 0, 2000, 'launch');
    const tasks = client.launched;
    // 3.5 CPUs: the executor's 0.05 and three tasks of 0.95.
    expect(tasks).to.have.length(3);
    const all = [...tasks, { resources: tasks[0].executor!.resources } as TaskInfo];
    const isPi = (r: Resource) => r.role === 'pi';
    const isStar = (r: Resource) => r.role === '*';
    expect(totals(all, isPi, 'cpus')).to.be.at.most(2);
    expect(totals(all, isStar, 'cpus')).to.be.at.most(1.5);
    expect(totals(all, isPi, 'mem')).to.be.at.most(2048);
    expect(totals(all, isStar, 'mem')).to.be.at.most(100);
    for (const r of all.flatMap((t) => t.resources ?? [])) {
      expect(r.allocation_info).to.deep.equal({ role: 'pi' });
      expect(['pi', '*']).to.include(r.role);
    }
    // Reserved resources go first: the role's own CPUs are used before the shared pool.
    expect(totals(all, isPi, 'cpus')).to.equal(2);
  });

  it('never asks for more than an offer holds, however its resources are split', async () => {
    await setUp(32 * 1000);
    const split: Resource[] = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, role: 'pi' },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 100 } },
    ];
    client.emit('offers', [offer('o1', 'a1', 0, 0, false, split)]);
    await waitFor(() => client.of('decline').length === 1, 2000, 'decline');
    expect(client.launched).to.have.length(0); // 1 CPU < 0.05 + 0.95? no: equal, but 100 MB < 96 + 32
    client.emit('offers', [offer('o2', 'a2', 0, 0, false, [...split.slice(0, 2), { name: 'mem', type: 'SCALAR', scalar: { value: 128 } }])]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    const t = client.launched[0];
    expect(totals([t], () => true, 'cpus')).to.equal(0.95);
    expect(t.resources!.filter((r) => r.name === 'cpus')).to.have.length(2); // from both entries
  });

  it('derives the ExecutorID from the ExecutorInfo: another command is another executor', async () => {
    const a = executorInfoFor(TEMPLATE, [plain('cpus', 0.05), plain('mem', 96)]);
    const b = executorInfoFor({ ...TEMPLATE, command: { ...TEMPLATE.command, uris: [{ value: 'http://10.0.0.1:9105/executor/x.tar.gz' }] } }, [plain('cpus', 0.05), plain('mem', 96)]);
    const c = executorInfoFor({ ...TEMPLATE, command: { ...TEMPLATE.command, environment: { variables: [{ name: 'PI_MESOS_VERSION', value: '0.2.0' }] } } }, [plain('cpus', 0.05), plain('mem', 96)]);
    const d = executorInfoFor(TEMPLATE, [{ ...plain('cpus', 0.05), role: 'pi' }, plain('mem', 96)]);
    const ids = new Set([a, b, c, d].map((x) => x.executor_id.value));
    expect(ids.size).to.equal(4);
    expect(executorInfoFor(TEMPLATE, [plain('cpus', 0.05), plain('mem', 96)]).executor_id.value).to.equal(a.executor_id.value);
  });

  it('reuses a live executor of the same ExecutorInfo without charging its resources again, also after a restart', async () => {
    await setUp(32 * 1000);
    // 3.8 CPUs: four tasks fit only if the executor's 0.05 CPU is not asked for again.
    client.emit('offers', [offer('o1', 'a1', 3.8, 4096, true)]);
    await waitFor(() => client.launched.length > 0, 2000, 'launch');
    expect(client.launched).to.have.length(4);
    expect(client.launched[0].executor!.executor_id.value).to.equal(LIVE_ID);
    // A live executor of other code (an older version) is left alone: a new one is started.
    const old = offer('o2', 'a2', 3.8, 4096);
    old.executor_ids = [{ value: 'pi-mesos-executor-0123456789abcdef' }];
    client.emit('offers', [old]);
    await waitFor(() => client.launched.length > 4, 2000, 'launch');
    const onA2 = client.launched.filter((t) => t.agent_id.value === 'a2');
    expect(onA2).to.have.length(3);
    expect(onA2[0].executor!.executor_id.value).to.equal(LIVE_ID);
    expect(backend.liveExecutors.get('a2')?.executor_id.value).to.equal(LIVE_ID);
  });

  it('retries a failed ACKNOWLEDGE until it goes through', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    client.failNext.acknowledge = 3;
    client.emit('update', finished(client.launched[0]));
    await waitFor(() => client.of('acknowledge').length === 4, 2000, 'the fourth ACKNOWLEDGE');
    expect(logger.has('warn', /acknowledge .* failed \(acknowledge timed out\); retrying/)).to.equal(true);
    expect(fw.complete).to.equal(true);
  });

  it('retries a failed REVIVE: the framework never stays suppressed while work is queued', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    client.emit('offers', [offer('o2', 'a2', 4, 4096)]);
    await waitFor(() => client.of('suppress').length === 1, 2000, 'suppress');
    client.failNext.revive = 1;
    const t = client.launched[0];
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', uuid: Buffer.alloc(16, 2) });
    await waitFor(() => client.of('acknowledge').length === 1, 2000, 'ack');
    now += 1000;
    tick();
    await waitFor(() => client.of('revive').length === 1, 2000, 'the first REVIVE');
    await waitFor(() => logger.has('warn', /revive failed/), 2000, 'its failure');
    now += 5000;
    tick();
    expect(client.of('revive')).to.have.length(2);
  });

  it('keeps reconciling adopted tasks the master has not answered (after a failover), and does not kill them meanwhile', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    const t = client.launched[0];
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: Buffer.alloc(16, 4) });
    await waitFor(() => client.of('acknowledge').length === 1, 2000, 'ack');
    // A new leader: the task's agent has not re-registered, so reconciliation gets no answer.
    client.emit('subscribed', { frameworkId: 'fw', heartbeatIntervalSeconds: 15 });
    await waitFor(() => client.of('reconcile').length === 1, 2000, 'reconcile');
    for (let i = 0; i < 300; i++) { now += 1000; tick(); }
    expect(client.of('kill')).to.have.length(0);
    expect(fw.ledger.inFlightCount).to.equal(1);
    const asked = client.of('reconcile').length;
    // At subscription, then after 5, 10, 20, 20, … s (the test's cap): 1 + 15 or so over 300 s.
    expect(asked).to.be.within(12, 18);
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION' });
    await waitFor(() => client.of('reconcile').length >= asked, 2000, 'x');
    await new Promise((r) => setImmediate(r));
    now += 60_000; tick();
    now += 60_000; tick();
    expect(client.of('reconcile').length).to.equal(asked); // answered: no more asking (until the 5-min one)
  });

  it('names the setting to fix when the executor cannot start, backs the agent off and does not blame the range', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    const t = client.launched[0];
    client.failure({ agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 127 << 8 });
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_TERMINATED', message: 'Executor terminated', source: 'SOURCE_AGENT', uuid: Buffer.alloc(16, 5) });
    await waitFor(() => client.of('acknowledge').length === 1, 2000, 'ack');
    expect(logger.has('error', /executor could not start on agent a1.*exit status 127.*--executor-node \(PI_MESOS_EXECUTOR_NODE\)/)).to.equal(true);
    expect(fw.ledger.queuedTerms).to.equal(320);
    expect(logger.has('warn', new RegExp(`task ${t.task_id.value.replace(/\./g, '\\.')} .*requeued, attempt 1`))).to.equal(false);
    // The agent gets no task for a while; another agent does, at once (no range backoff).
    client.emit('offers', [offer('o2', 'a1', 1, 1024)]);
    await waitFor(() => client.of('decline').length === 1, 2000, 'decline');
    expect((client.of('decline')[0].args[1] as { refuse_seconds: number }).refuse_seconds).to.be.within(1, 30);
    client.emit('offers', [offer('o3', 'a2', 1, 1024)]);
    await waitFor(() => client.launched.length === 2, 2000, 'relaunch elsewhere');
    expect(client.launched[1].task_id.value).to.match(/^pi\.0\.320\.0\./); // attempt 0 still
  });

  it('requeues without penalty a launch that met an executor exiting as the offer was made', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 0.95, 1024, true)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    const t = client.launched[0];
    client.emit('update', {
      task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', source: 'SOURCE_MASTER',
      message: 'Total resources cpus(allocated: *):0.95; mem(allocated: *):128 required by task and its executor is more than available cpus(allocated: *):0.95; mem(allocated: *):1024',
    });
    await waitFor(() => fw.ledger.queuedTerms === 320, 2000, 'requeue');
    expect(backend.liveExecutors.has('a1')).to.equal(false);
    client.emit('offers', [offer('o2', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 2, 2000, 'relaunch');
    expect(client.launched[1].task_id.value).to.match(/^pi\.0\.320\.0\./);
  });

  it('backs off an agent whose executor dies before running any task (a failed fetch), but not one whose executor ran tasks', async () => {
    await setUp(32 * 1000);
    client.emit('offers', [offer('o1', 'a1', 1, 1024), offer('o2', 'a2', 1, 1024)]);
    await waitFor(() => client.launched.length === 2, 2000, 'launch');
    const [t1, t2] = client.launched;
    client.emit('update', { task_id: t2.task_id, agent_id: t2.agent_id, state: 'TASK_RUNNING', uuid: Buffer.alloc(16, 7) });
    await waitFor(() => client.of('acknowledge').length === 1, 2000, 'ack');
    client.failure({ agent_id: { value: 'a1' }, executor_id: t1.executor!.executor_id, status: 1 << 8 });
    client.failure({ agent_id: { value: 'a2' }, executor_id: t2.executor!.executor_id, status: 9 });
    expect(logger.has('error', /executor could not start on agent a1\.lan: it ended before running a task \(exit status 1; a fetch that failed is exit status 1\)\. check --executor-url-host\./)).to.equal(true);
    expect(logger.has('error', /could not start on agent a2/)).to.equal(false);
    expect(logger.has('warn', /executor \S+ on agent a2 ended: signal 9/)).to.equal(true);
    client.emit('offers', [offer('o3', 'a1', 1, 1024)]);
    await waitFor(() => client.of('decline').length === 1, 2000, 'a1 declined');
  });

  it('acknowledges the last update before it stops (a finished run), so its agent stops re-sending it', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    client.emit('update', finished(client.launched[0]));
    await backend.stop(); // at once, as the daemon does on 'complete'
    expect(client.of('acknowledge')).to.have.length(1);
  });

  it('names --user when an agent lacks the task user, and a launch that failed without an exit status as such', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 2000, 'launch');
    const t = client.launched[0];
    client.failure({ agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: -1 });
    client.emit('update', {
      task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_LOST', reason: 'REASON_EXECUTOR_TERMINATED', source: 'SOURCE_AGENT',
      message: "Failed to create executor directory '/var/lib/mesos/x': Failed to chown directory to 'nosuch': No such user 'nosuch'",
      uuid: Buffer.alloc(16, 9),
    });
    await waitFor(() => client.of('acknowledge').length === 1, 2000, 'ack');
    expect(logger.has('error', /the task user 'nosuch' does not exist on agent a1\.lan: set --user \(PI_MESOS_USER\)/)).to.equal(true);
    expect(logger.has('error', /no exit status: the launch itself failed/)).to.equal(true);
    expect(logger.has('error', /signal 127/)).to.equal(false);
  });
});
