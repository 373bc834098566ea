// The framework's and backend's timers on an injected clock: range retry backoff, the error after
// repeated failures, the wait for a result, the STAGING timeout, periodic reconciliation, the
// REVIVE rate limit, reconciling until answered, and ACKNOWLEDGE retries. Time moves only when a
// test moves it, so each boundary is checked at the millisecond before and at the millisecond on.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { MesosBackend } from '../../src/framework/mesos-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import type { SchedulerClient } from '../../src/mesos/scheduler';
import type { TaskStatus } from '../../src/mesos/types';
import { waitFor } from '../support/wait';
import { ManualClock, offer, rangeUpdate, SnapshottingClient, TEMPLATE, uuid } from './backend-double';

describe('timers on an injected clock', () => {
  let dir: string;
  let clock: ManualClock;
  let fw: PiFramework;
  let logger: MemoryLogger;
  let client: SnapshottingClient;
  let backend: MesosBackend | undefined;

  async function openFramework(maxTerms: number): Promise<void> {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-clock-'));
    clock = new ManualClock();
    logger = new MemoryLogger();
    fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger, targetTaskSeconds: 1, maxTerms, defaultRate: 320, now: clock.now });
  }

  /** The backend with every interval at its default: the numbers the README promises. */
  async function setUp(maxTerms: number): Promise<void> {
    await openFramework(maxTerms);
    client = new SnapshottingClient(PiFramework.stateFile(dir), clock.now);
    backend = new MesosBackend({
      fw, client: client as unknown as SchedulerClient, logger, role: 'pi', now: clock.now, timers: clock,
      executor: TEMPLATE, taskCpus: 0.95, taskMemMb: 32,
    });
  }
  const tick = (): void => (backend as unknown as { onTick(): void }).onTick();

  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function launchOne(offerId = 'o1', agent = 'a1'): Promise<import('../../src/mesos/types').TaskInfo> {
    const n = client.launched.length;
    client.emit('offers', [offer(offerId, agent, 1, 1024)]);
    await waitFor(() => client.launched.length === n + 1, 5000, 'launch');
    return client.launched[n];
  }

  it('retries a failing range after 1 s, doubling to 60 s, and logs an error from the sixth failure on (never dropping it)', async () => {
    await openFramework(320);
    const waits: number[] = [];
    for (let failure = 1; failure <= 9; failure++) {
      const [t] = fw.plan('a1', 1);
      expect(t, `attempt ${failure - 1} handed out`).to.not.equal(undefined);
      expect(t.taskId).to.match(new RegExp(`^pi\\.0\\.320\\.${failure - 1}\\.`));
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FAILED', agentId: 'a1', message: 'boom' });
      const wait = fw.ledger.nextRetryIn()! * 1000;
      waits.push(wait);
      clock.advance(wait - 1);
      expect(fw.plan('a1', 1), 'not a millisecond early').to.deep.equal([]);
      clock.advance(1);
      const line = new RegExp(`task ${t.taskId.replace(/\./g, '\\.')} failed \\(boom\\); range 0\\+320 requeued, attempt ${failure}$`);
      expect(logger.has(failure > 5 ? 'error' : 'warn', line), `failure ${failure} logged as ${failure > 5 ? 'error' : 'warning'}`).to.equal(true);
      expect(logger.has(failure > 5 ? 'warn' : 'error', line)).to.equal(false);
    }
    expect(waits).to.deep.equal([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(fw.ledger.queuedTerms).to.equal(320);
  });

  it('requeues a blameless failure at once, at the same attempt', async () => {
    await openFramework(320);
    const [t] = fw.plan('a1', 1);
    await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FAILED', agentId: 'a1', blameless: true });
    expect(fw.ledger.nextRetryIn()).to.equal(undefined);
    const [again] = fw.plan('a1', 1);
    expect(again.taskId).to.match(/^pi\.0\.320\.0\./);
  });

  it('kills a task with no update beyond STAGING after exactly 2 minutes', async () => {
    await setUp(320);
    const t = await launchOne();
    clock.advance(119_999);
    tick();
    expect(client.of('kill')).to.have.length(0);
    clock.advance(1);
    tick();
    expect(client.of('kill').map((c) => c.args[0])).to.deep.equal([t.task_id.value]);
    await waitFor(() => fw.ledger.queuedTerms === 320, 5000, 'requeue');
    expect(logger.has('warn', /stuck in STAGING for 120 s: killing it/)).to.equal(true);
  });

  it('does not time out a task that reached RUNNING, however long it runs', async () => {
    await setUp(320);
    const t = await launchOne();
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    for (let i = 0; i < 10; i++) { clock.advance(60_000); tick(); }
    expect(client.of('kill')).to.have.length(0);
    expect(fw.ledger.inFlightCount).to.equal(1);
  });

  it('waits 2 minutes for the result of a task reported finished without it, then requeues its range', async () => {
    await setUp(320);
    const t = await launchOne();
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    // Measured from the data-less report, not from the launch.
    clock.advance(30_000);
    const { data: _d, uuid: _u, ...stripped } = rangeUpdate(t, 0);
    client.emit('update', { ...stripped, reason: 'REASON_RECONCILIATION' });
    await waitFor(() => logger.has('debug', /reported finished without its result/), 5000, 'the data-less FINISHED');
    clock.advance(119_999);
    tick();
    expect(fw.ledger.inFlightCount).to.equal(1);
    clock.advance(1);
    tick();
    await waitFor(() => fw.ledger.inFlightCount === 0, 5000, 'requeue');
    expect(fw.ledger.queuedTerms).to.equal(320);
    expect(logger.has('warn', /finished but its result never arrived: requeueing its range/)).to.equal(true);
    expect(logger.has('warn', /lost \(result never delivered\); range 0\+320 requeued, attempt 1/)).to.equal(true);
    expect(client.of('acknowledge')).to.have.length(1); // the RUNNING only: the requeue is no agent's update
  });

  it('reconciles every task in flight every 5 minutes', async () => {
    await setUp(320);
    const t = await launchOne();
    tick();
    expect(client.of('reconcile')).to.have.length(1);
    expect(client.of('reconcile')[0].args[0]).to.deep.equal([{ task_id: t.task_id.value, agent_id: 'a1' }]);
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    clock.advance(300_000);
    tick();
    expect(client.of('reconcile')).to.have.length(1);
    clock.advance(1);
    tick();
    expect(client.of('reconcile')).to.have.length(2);
  });

  it('asks the master again for adopted tasks it has not answered: after 5 s, doubling to 60 s, until answered', async () => {
    await setUp(320);
    const t = await launchOne();
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    const t0 = clock.t;
    client.emit('subscribed', { frameworkId: 'fw', heartbeatIntervalSeconds: 15 });
    await waitFor(() => client.of('reconcile').length === 1, 5000, 'reconcile at subscription');
    for (let s = 1; s <= 200; s++) { clock.advance(1000); tick(); }
    const asked = client.of('reconcile').map((c) => (c.at - t0) / 1000);
    expect(asked).to.deep.equal([0, 5, 15, 35, 75, 135, 195]);
    expect(client.of('kill')).to.have.length(0);
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION' } as TaskStatus);
    await waitFor(() => (backend as unknown as { unanswered: Set<string> }).unanswered.size === 0, 5000, 'the answer');
    for (let s = 0; s < 90; s++) { clock.advance(1000); tick(); }
    expect(client.of('reconcile')).to.have.length(7);
  });

  it('revives at most every 5 s: a second REVIVE waits on a timer for the rest of the 5 s', async () => {
    await setUp(320);
    const blameless = (t: import('../../src/mesos/types').TaskInfo): TaskStatus => ({
      task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_TERMINATED', uuid: uuid(),
    } as TaskStatus);
    const a = await launchOne('o1');
    client.emit('offers', [offer('o2', 'a2', 1, 1024)]);
    await waitFor(() => client.of('suppress').length === 1, 5000, 'suppress');
    client.emit('update', blameless(a));
    await waitFor(() => client.of('revive').length === 1, 5000, 'the first REVIVE, at once');
    const firstAt = client.of('revive')[0].at;
    const b = await launchOne('o3');
    client.emit('offers', [offer('o4', 'a2', 1, 1024)]);
    await waitFor(() => client.of('suppress').length === 2, 5000, 'suppress again');
    clock.advance(1000);
    client.emit('update', blameless(b));
    await waitFor(() => client.of('acknowledge').length === 2, 5000, 'ack');
    expect(client.of('revive')).to.have.length(1);
    clock.advance(3999);
    expect(client.of('revive')).to.have.length(1);
    clock.advance(1);
    expect(client.of('revive')).to.have.length(2);
    expect(client.of('revive')[1].at - firstAt).to.equal(5000);
  });

  it('retries a failed REVIVE after the rate limit, on its timer', async () => {
    await setUp(320);
    const a = await launchOne('o1');
    client.emit('offers', [offer('o2', 'a2', 1, 1024)]);
    await waitFor(() => client.of('suppress').length === 1, 5000, 'suppress');
    client.failNext.revive = 2;
    client.emit('update', { task_id: a.task_id, agent_id: a.agent_id, state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_TERMINATED', uuid: uuid() } as TaskStatus);
    await waitFor(() => logger.has('warn', /revive failed/) && clock.timersPending > 0, 5000, 'the first REVIVE failing');
    const t0 = client.of('revive')[0].at;
    clock.advance(4999);
    expect(client.of('revive')).to.have.length(1);
    clock.advance(1);
    expect(client.of('revive')).to.have.length(2);
    await waitFor(() => clock.timersPending > 0, 5000, 'the second failure');
    clock.advance(5000);
    expect(client.of('revive').map((c) => c.at - t0)).to.deep.equal([0, 5000, 10_000]);
  });

  it('retries a failed ACKNOWLEDGE after 1 s, doubling to 30 s (with jitter in the upper half)', async () => {
    await setUp(320);
    const t = await launchOne();
    client.failNext.acknowledge = 7;
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
    const ceilings = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    for (let i = 0; i < ceilings.length; i++) {
      await waitFor(() => clock.timersPending === 1, 5000, `retry ${i + 1} scheduled`);
      const delay = clock.requested[clock.requested.length - 1];
      expect(delay, `retry ${i + 1}`).to.be.within(ceilings[i] / 2, ceilings[i]);
      clock.advance(delay - 1);
      expect(client.of('acknowledge')).to.have.length(i + 1);
      clock.advance(1);
      expect(client.of('acknowledge')).to.have.length(i + 2);
    }
    expect(client.of('acknowledge')).to.have.length(8);
    expect(clock.timersPending).to.equal(0);
  });

  it('stops retrying an ACKNOWLEDGE when the subscription it belongs to ends', async () => {
    await setUp(320);
    const t = await launchOne();
    client.failNext.acknowledge = 5;
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
    await waitFor(() => clock.timersPending === 1, 5000, 'a retry scheduled');
    client.emit('disconnected');
    clock.advance(60_000);
    expect(client.of('acknowledge')).to.have.length(1);
  });

  it('backs an agent off 30 s, doubling to 10 minutes, when its executor cannot start', async () => {
    await setUp(32 * 1000);
    const refusals: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = await launchOne(`o${i}`, 'a1');
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 127 << 8 });
      const n = client.of('decline').length;
      client.emit('offers', [offer(`p${i}`, 'a1', 1, 1024)]);
      await waitFor(() => client.of('decline').length === n + 1, 5000, 'decline');
      refusals.push((client.of('decline')[n].args[1] as { refuse_seconds: number }).refuse_seconds);
      clock.advance(refusals[i] * 1000);
    }
    expect(refusals).to.deep.equal([30, 60, 120, 240, 480, 600, 600]);
  });
});
