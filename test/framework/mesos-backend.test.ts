import { expect } from 'chai';
import { EventEmitter } from 'events';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { MesosBackend } from '../../src/framework/mesos-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { encodeResult, decodeTask } from '../../src/executor/task-codec';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import type { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, TaskInfo, TaskStatus } from '../../src/mesos/types';
import { waitFor } from '../support/wait';

/** Records the calls the backend makes; events are emitted by the test. */
class FakeClient extends EventEmitter {
  subscribed = true;
  calls: { type: string; args: unknown[] }[] = [];
  launched: TaskInfo[] = [];
  failLaunch = false;
  start(): void { this.calls.push({ type: 'start', args: [] }); }
  async stop(): Promise<void> {}
  private record(type: string, ...args: unknown[]): Promise<{ status: number }> { this.calls.push({ type, args }); return Promise.resolve({ status: 202 }); }
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
  of(type: string) { return this.calls.filter((c) => c.type === type); }
}

function offer(id: string, agent: string, cpus: number, mem: number, executorRunning = false): Offer {
  return {
    id: { value: id }, framework_id: { value: 'fw' }, agent_id: { value: agent }, hostname: `${agent}.lan`,
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: cpus } }, { name: 'mem', type: 'SCALAR', scalar: { value: mem } }],
    executor_ids: executorRunning ? [{ value: 'pi-mesos-executor' }] : [],
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
  const logger = new MemoryLogger();

  async function setUp(maxTerms: number): Promise<void> {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-backend-'));
    now = 1_000_000;
    fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger, targetTaskSeconds: 1, maxTerms, defaultRate: 320, now: () => now });
    client = new FakeClient();
    backend = new MesosBackend({
      fw, client: client as unknown as SchedulerClient, logger, role: 'pi', now: () => now,
      executor: { executor_id: { value: 'pi-mesos-executor' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.05 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 96 } }] },
      taskCpus: 0.95, taskMemMb: 32, reviveIntervalMs: 5000, stagingTimeoutMs: 60_000,
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
});
