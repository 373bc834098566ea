// MesosBackend's rules that the end-to-end runs pass through without looking: what a subscription
// records and asks, when offers are suppressed and revived, which FAILUREs back an agent off,
// what happens to the ranges of a launch that could not be recorded or sent, which
// acknowledgements are retried, what the periodic checks leave alone, and what stop() leaves
// behind. Against a recording client, on a clock that moves only when the test moves it.
import { expect } from 'chai';
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { executorInfoFor } from '../../src/framework/executor-identity';
import { MesosBackend, MesosBackendOptions } from '../../src/framework/mesos-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import { MesosCallError } from '../../src/mesos/scheduler';
import type { SchedulerClient } from '../../src/mesos/scheduler';
import type { TaskInfo, TaskStatus } from '../../src/mesos/types';
import { waitFor } from '../support/wait';
import { ManualClock, offer, rangeUpdate, settle, SnapshottingClient, StateOnDisk, TEMPLATE, uuid } from './backend-double';

/** The recording client, whose ACKNOWLEDGE calls can also be held open or refused with an HTTP status. */
class AckControlClient extends SnapshottingClient {
  started = 0;
  /** ACKNOWLEDGEs answered with MesosCallError of these statuses, one each, in order. */
  refuseAcks: number[] = [];
  /** ACKNOWLEDGEs held open until the test settles them. */
  holdAcks = false;
  readonly held: { reject: (e: Error) => void; resolve: () => void }[] = [];

  stopped = 0;
  override start(): void { this.started++; }
  override async stop(): Promise<void> { this.stopped++; }
  override async acknowledge(status: TaskStatus): Promise<null> {
    const refusal = this.refuseAcks.shift();
    if (refusal !== undefined) {
      this.calls.push({ type: 'acknowledge', args: [status], disk: undefined, at: 0 });
      throw new MesosCallError(`HTTP ${refusal}`, refusal);
    }
    if (this.holdAcks) {
      this.calls.push({ type: 'acknowledge', args: [status], disk: undefined, at: 0 });
      await new Promise<void>((resolve, reject) => this.held.push({ resolve, reject }));
      return null;
    }
    return super.acknowledge(status);
  }
}

describe('Mesos backend rules', () => {
  let dir: string;
  let clock: ManualClock;
  let logger: MemoryLogger;
  let fw: PiFramework;
  let client: AckControlClient;
  let backend: MesosBackend;

  async function setUp(maxTerms: number, extra: Partial<MesosBackendOptions> = {}): Promise<void> {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-backend-rules-'));
    clock = new ManualClock();
    logger = new MemoryLogger();
    fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger, targetTaskSeconds: 1, maxTerms, defaultRate: 320, now: clock.now });
    client = new AckControlClient(PiFramework.stateFile(dir), clock.now);
    backend = new MesosBackend({
      fw, client: client as unknown as SchedulerClient, logger, role: 'pi', now: clock.now, timers: clock,
      executor: TEMPLATE, taskCpus: 0.95, taskMemMb: 32,
      executorHint: 'Set --executor-node (PI_MESOS_EXECUTOR_NODE).', fetchHint: 'Check --executor-url-host.',
      ...extra,
    });
  }
  afterEach(async () => {
    await backend.stop();
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(`${dir}.saved`, { recursive: true, force: true });
  });

  const tick = (): void => (backend as unknown as { onTick(): void }).onTick();
  async function launch(offerId: string, agent = 'a1', cpus = 1): Promise<TaskInfo[]> {
    const n = client.launched.length;
    client.emit('offers', [offer(offerId, agent, cpus, 1024)]);
    await waitFor(() => client.launched.length > n, 5000, `a launch from ${offerId}`);
    return client.launched.slice(n);
  }
  async function declined(offerId: string, agent = 'a1', cpus = 1): Promise<{ refuse_seconds: number }> {
    const n = client.of('decline').length;
    client.emit('offers', [offer(offerId, agent, cpus, 1024)]);
    await waitFor(() => client.of('decline').length > n, 5000, `${offerId} declined`);
    return client.of('decline')[n].args[1] as { refuse_seconds: number };
  }
  /** The state directory replaced by a file: every checkpoint write fails (as root too). */
  async function breakDisk(): Promise<void> {
    await fs.rename(dir, `${dir}.saved`);
    await fs.writeFile(dir, 'not a directory');
  }
  async function mendDisk(): Promise<void> {
    await fs.rm(dir);
    await fs.rename(`${dir}.saved`, dir);
  }
  const subscribed = async (frameworkId = 'fw-1'): Promise<void> => {
    const announced = new Promise((r) => backend.once('subscribed', r));
    client.emit('subscribed', { frameworkId, heartbeatIntervalSeconds: 15 });
    await announced;
  };
  const escape = (s: string): string => s.replace(/[.+]/g, '\\$&');

  describe('subscribing', () => {
    it('records a new framework ID on disk, then reconciles the tasks in flight, then says it is subscribed', async () => {
      await setUp(640);
      let onDisk: StateOnDisk | undefined;
      let reconcilesThen = -1;
      backend.once('subscribed', () => {
        onDisk = JSON.parse(fsSync.readFileSync(PiFramework.stateFile(dir), 'utf8')) as StateOnDisk;
        reconcilesThen = client.of('reconcile').length;
      });
      await subscribed('fw-1');
      expect(fw.frameworkId).to.equal('fw-1');
      expect(onDisk?.frameworkId).to.equal('fw-1');
      // Nothing in flight: no RECONCILE at all (an empty one would ask the master for every task).
      expect(reconcilesThen).to.equal(0);

      const [t] = await launch('o1');
      backend.once('subscribed', () => { reconcilesThen = client.of('reconcile').length; });
      await subscribed('fw-1');
      expect(reconcilesThen).to.equal(1);
      expect(client.of('reconcile')[0].args[0]).to.deep.equal([{ task_id: t.task_id.value, agent_id: t.agent_id.value }]);
    });

    it('says it is subscribed when the framework ID cannot be written, naming the checkpoint that will carry it', async () => {
      await setUp(320);
      await breakDisk();
      await subscribed('fw-2');
      expect(fw.frameworkId).to.equal('fw-2');
      expect(logger.has('error', /cannot record the framework ID on disk \(.*\); the next checkpoint will/)).to.equal(true);
    });

    it('says so when a RECONCILE fails, and still completes the subscription', async () => {
      await setUp(320);
      await launch('o1');
      client.failNext.reconcile = 1;
      await subscribed();
      expect(logger.has('warn', /reconcile failed: reconcile timed out/)).to.equal(true);
    });

    it('suppresses offers again on a new subscription, which starts unsuppressed', async () => {
      await setUp(320);
      await launch('o1');
      await declined('o2', 'a2', 4);
      await declined('o3', 'a2', 4); // an offer already on its way: no second SUPPRESS
      expect(client.of('suppress').map((c) => c.args[0])).to.deep.equal([['pi']]);
      await subscribed();
      await declined('o4', 'a2', 4);
      await waitFor(() => client.of('suppress').length === 2, 5000, 'SUPPRESS on the new subscription');
    });

    it('acknowledges no update of an earlier subscription (the agent re-sends it on the new one)', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      client.failNext.acknowledge = 1;
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => clock.timersPending === 1, 5000, 'a retry scheduled');
      client.emit('disconnected');
      await subscribed();
      clock.advance(60_000);
      expect(client.of('acknowledge')).to.have.length(1);
    });
  });

  describe('offers', () => {
    it('retries a failed SUPPRESS on the next declined offer', async () => {
      await setUp(320);
      await launch('o1');
      client.failNext.suppress = 1;
      await declined('o2', 'a2', 4);
      await waitFor(() => logger.has('warn', /suppress failed: suppress timed out/), 5000, 'the failed SUPPRESS');
      await declined('o3', 'a2', 4);
      await waitFor(() => client.of('suppress').length === 2, 5000, 'the second SUPPRESS');
    });

    it('does not suppress offers while work is queued, however small they are, and says so', async () => {
      await setUp(32 * 100);
      client.failNext.decline = 1;
      expect((await declined('o1', 'a1', 0.5)).refuse_seconds).to.equal(600);
      await waitFor(() => logger.has('warn', /decline failed: decline timed out/), 5000, 'the failed DECLINE');
      await declined('o2', 'a2', 0.9);
      expect(client.of('suppress')).to.have.length(0);
      expect(backend.idleReason()).to.equal('offers too small');
    });

    it('says offers are suppressed while the only work left waits out its retry backoff, and revives them for the role when it is due', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      await declined('o2', 'a2', 4);
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', uuid: uuid() } as TaskStatus);
      await waitFor(() => fw.ledger.inFlightCount === 0 && client.of('acknowledge').length === 1, 5000, 'the failure');
      expect(backend.idleReason()).to.equal('suppressed');
      expect(logger.has('info', /^no work to hand out: suppressing offers$/)).to.equal(true);
      clock.advance(1000);
      tick();
      expect(client.of('revive').map((c) => c.args[0])).to.deep.equal([['pi']]);
      expect(logger.has('info', /^work to hand out again: reviving offers$/)).to.equal(true);
      expect(backend.idleReason()).to.equal('no offers');
    });

    it('launches on the offer it was given, leaving the rest of it to others for 1 s, each task named after its range', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      const call = client.of('launch')[0];
      expect(call.args[0]).to.deep.equal([{ value: 'o1' }]);
      expect(call.args[2]).to.deep.equal({ refuse_seconds: 1 });
      expect(t.name).to.equal('pi 0+320');
      await declined('o2', 'a2', 4);
      expect(client.of('decline')[0].args[0]).to.deep.equal([{ value: 'o2' }]);
    });

    it('declines an offer too small for the executor, even when tasks alone would fit', async () => {
      await setUp(320);
      client.emit('offers', [offer('o1', 'a1', 4, 90)]); // the executor wants 96 MB
      await waitFor(() => client.of('decline').length === 1, 5000, 'the decline');
      await settle();
      expect(client.launched).to.have.length(0);
      expect(fw.ledger.inFlightCount).to.equal(0);
      expect(backend.idleReason()).to.equal('offers too small');
    });

    it('says no offers come, not that they are too small, once a task from the last offer has ended', async () => {
      await setUp(32 * 30);
      const [t] = await launch('o1');
      client.emit('update', rangeUpdate(t, 0));
      await waitFor(() => fw.ledger.inFlightCount === 0 && client.of('acknowledge').length === 1, 5000, 'the result');
      expect(backend.idleReason()).to.equal('no offers');
    });

    it('shows an agent\'s executor on the cluster page while its offers list it, and not once they stop', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      const id = t.executor!.executor_id.value;
      await declined('o2', 'a1', 0.5); // lists no executor: it is gone
      expect(backend.liveExecutors.has('a1')).to.equal(false);
      client.emit('offers', [{ ...offer('o3', 'a1', 0.5, 1024), executor_ids: [{ value: id }] }]);
      await waitFor(() => client.of('decline').length === 2, 5000, 'o3 declined');
      expect(backend.liveExecutors.get('a1')?.executor_id.value).to.equal(id);
    });

    it('does not retry a failed REVIVE once the master is gone (a new subscription starts unsuppressed)', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      await declined('o2', 'a2', 4);
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', uuid: uuid() } as TaskStatus);
      await waitFor(() => client.of('acknowledge').length === 1, 5000, 'the failure');
      client.failNext.revive = 1;
      clock.advance(1000);
      tick();
      client.subscribed = false; // the REVIVE fails because the connection just went
      await settle();
      expect(logger.has('warn', /^revive failed: revive timed out/)).to.equal(true);
      clock.advance(60_000);
      expect(client.of('revive')).to.have.length(1);
      expect(clock.timersPending).to.equal(0);
    });

    it('puts the ranges back at once, at their attempt, and declines the offer for 5 s when the launch cannot be recorded', async () => {
      await setUp(320);
      await breakDisk();
      expect((await declined('o1')).refuse_seconds).to.equal(5);
      expect(client.launched).to.have.length(0);
      expect(logger.has('error', /cannot record a launch on disk \(.*\); declining the offer/)).to.equal(true);
      expect(fw.ledger.inFlightCount).to.equal(0);
      await mendDisk();
      const [t] = await launch('o2');
      expect(t.task_id.value).to.match(/^pi\.0\.320\.0\./);
    });

    it('puts the ranges of a failed LAUNCH call back at once, at their attempt, naming the agent', async () => {
      await setUp(320);
      client.failNext.launch = 1;
      client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
      await waitFor(() => fw.ledger.queuedTerms === 320, 5000, 'the requeue');
      expect(logger.has('warn', /launch on a1\.lan failed \(launch timed out\); requeueing 1 ranges/)).to.equal(true);
      expect(logger.has('info', /dropped before it started \(launch call failed\); range 0\+320 requeued, attempt 0 unchanged/)).to.equal(true);
      const [again] = await launch('o2', 'a2');
      expect(again.task_id.value).to.match(/^pi\.0\.320\.0\./);
    });
  });

  describe('executor failures', () => {
    it('does not back an agent off for a FAILURE that is not one of its executors\', naming what it knows', async () => {
      await setUp(32 * 30);
      await launch('o1');
      client.emit('failure', { agent_id: { value: 'a1' } });
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: { value: 'default' }, status: 256 });
      client.emit('failure', {});
      expect(logger.has('warn', /^failure reported: agent a1$/)).to.equal(true);
      expect(logger.has('warn', /^failure reported: agent a1 executor default status 256$/)).to.equal(true);
      expect(logger.has('warn', /^failure reported: agent \?$/)).to.equal(true);
      expect(logger.has('error', /could not start/)).to.equal(false);
      await launch('o2');
    });

    it('takes an executor that exits 0 (idle) for no failure to start, even one that ran no task', async () => {
      await setUp(32 * 30);
      const [t] = await launch('o1');
      const id = t.executor!.executor_id.value;
      expect(backend.liveExecutors.get('a1')?.executor_id.value).to.equal(id);
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: { value: id }, status: 0 });
      expect(logger.has('info', new RegExp(`^executor ${id} on agent a1 exited$`))).to.equal(true);
      expect(logger.has('error', /could not start/)).to.equal(false);
      expect(backend.liveExecutors.has('a1')).to.equal(false);
      await launch('o2');
    });

    it('keeps an agent\'s live executor on the cluster page when an older one there ends', async () => {
      await setUp(32 * 30);
      const [t] = await launch('o1');
      const live = t.executor!.executor_id.value;
      const old = executorInfoFor({ ...TEMPLATE, name: 'pi-mesos executor 0.1' }, t.executor!.resources!).executor_id.value;
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: { value: old }, status: 0 });
      expect(backend.liveExecutors.get('a1')?.executor_id.value).to.equal(live);
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: { value: live }, status: 0 });
      expect(backend.liveExecutors.has('a1')).to.equal(false);
    });

    it('names the executor setting alone when the executor\'s program is not executable (exit status 126)', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 126 << 8 });
      expect(logger.has('error', /^the executor could not start on agent a1\.lan: a program it runs is not executable \(exit status 126\)\. Set --executor-node \(PI_MESOS_EXECUTOR_NODE\)\. No tasks go to that agent for 30 s;/)).to.equal(true);
      expect(logger.has('error', /--executor-url-host/)).to.equal(false);
    });

    it('backs an agent off when its executor ended with no status at all, saying so', async () => {
      await setUp(32 * 30, { executorHint: undefined, fetchHint: undefined });
      const [t] = await launch('o1');
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id });
      expect(logger.has('error', /^the executor could not start on agent a1\.lan: it ended before running a task \(no exit status: the launch itself failed; a fetch that failed is exit status 1\)\. +No tasks go to that agent for 30 s; the executor sandbox's stderr says more\.$/)).to.equal(true);
      expect((await declined('o2')).refuse_seconds).to.equal(30);
    });

    it('says once per agent that it lacks the task user', async () => {
      await setUp(640);
      const tasks = await launch('o1', 'a1', 2);
      expect(tasks).to.have.length(2);
      for (const t of tasks) {
        client.emit('update', {
          task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_TERMINATED',
          message: "Failed to chown directory to 'nosuch': No such user 'nosuch'", uuid: uuid(),
        } as TaskStatus);
      }
      await waitFor(() => client.of('acknowledge').length === 2, 5000, 'both failures');
      expect(logger.lines.filter((l) => l.level === 'error' && /task user 'nosuch' does not exist on agent a1\.lan/.test(l.msg))).to.have.length(1);
    });

    it('backs an agent off when a program its executor runs is missing (127), even after it ran tasks, naming the executor setting alone', async () => {
      await setUp(32 * 30);
      const [t] = await launch('o1');
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => client.of('acknowledge').length === 1, 5000, 'RUNNING');
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 127 << 8 });
      expect(logger.has('error', /^the executor could not start on agent a1\.lan: a program it runs was not found \(exit status 127\)\. Set --executor-node \(PI_MESOS_EXECUTOR_NODE\)\. No tasks go to that agent for 30 s;/)).to.equal(true);
      expect(logger.has('error', /--executor-url-host/)).to.equal(false);
      expect((await declined('o2')).refuse_seconds).to.equal(30);
    });

    it('backs an agent off when its executor\'s program is not executable (126), even after it ran tasks, with no hint configured', async () => {
      await setUp(32 * 30, { executorHint: undefined, fetchHint: undefined });
      const [t] = await launch('o1');
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => client.of('acknowledge').length === 1, 5000, 'RUNNING');
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 126 << 8 });
      expect(logger.has('error', /^the executor could not start on agent a1\.lan: a program it runs is not executable \(exit status 126\)\. +No tasks go to that agent for 30 s;/)).to.equal(true);
      expect((await declined('o2')).refuse_seconds).to.equal(30);
    });

    it('after a restart, takes the end of an adopted task\'s executor that ran it for no failure to start', async () => {
      await setUp(32 * 30);
      const [t] = await launch('o1');
      await backend.stop();
      // The daemon restarts on the same state directory: the task is adopted, its executor unknown.
      fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger, targetTaskSeconds: 1, maxTerms: 32 * 30, defaultRate: 320, now: clock.now });
      client = new AckControlClient(PiFramework.stateFile(dir), clock.now);
      backend = new MesosBackend({ fw, client: client as unknown as SchedulerClient, logger, role: 'pi', now: clock.now, timers: clock, executor: TEMPLATE, taskCpus: 0.95, taskMemMb: 32 });
      await subscribed();
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, executor_id: t.executor!.executor_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => client.of('acknowledge').length === 1, 5000, 'RUNNING');
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 9 });
      expect(logger.has('warn', /^executor \S+ on agent a1 ended: signal 9$/)).to.equal(true);
      expect(logger.has('error', /could not start/)).to.equal(false);
    });

    it('forgives one executor killed before its first task per agent, backs off the second, and forgives afresh once one there ran a task', async () => {
      await setUp(32 * 100);
      const kill = (t: TaskInfo): void => { client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 9 }); };
      const forgiven = (): number => logger.lines.filter((l) => l.level === 'warn' && /^executor \S+ on agent a1\.lan was killed \(signal 9\) before running a task; its tasks go back to the queue$/.test(l.msg)).length;
      const [t1] = await launch('o1');
      kill(t1);
      expect(forgiven()).to.equal(1);
      expect(logger.has('error', /could not start/)).to.equal(false);
      const [t2] = await launch('o2'); // not backed off
      kill(t2);
      expect(logger.has('error', /^the executor could not start on agent a1\.lan: it ended before running a task \(signal 9;/)).to.equal(true);
      expect((await declined('o3')).refuse_seconds).to.equal(30);
      clock.advance(30_000);
      const [t3] = await launch('o4');
      client.emit('update', { task_id: t3.task_id, agent_id: t3.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => client.of('acknowledge').length === 1, 5000, 'RUNNING');
      kill(t3);
      expect(logger.has('warn', /^executor \S+ on agent a1 ended: signal 9$/)).to.equal(true);
      const [t4] = await launch('o5');
      kill(t4);
      expect(forgiven()).to.equal(2);
      await launch('o6');
    });

    it('names the fetch and the executor settings when the executor ended before running a task', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      // (Killed by a signal it would be a kill, once: test/soak/regressions.test.ts.)
      client.emit('failure', { agent_id: { value: 'a1' }, executor_id: t.executor!.executor_id, status: 2 << 8 });
      expect(logger.has('error', /^the executor could not start on agent a1\.lan: it ended before running a task \(exit status 2; a fetch that failed is exit status 1\)\. Check --executor-url-host\. Set --executor-node \(PI_MESOS_EXECUTOR_NODE\)\. /)).to.equal(true);
    });
  });

  describe('acknowledgements', () => {
    it('closes the connection only once the ACKNOWLEDGE of the last update has gone through', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      client.holdAcks = true;
      client.emit('update', rangeUpdate(t, 0));
      await waitFor(() => client.held.length === 1, 5000, 'the ACKNOWLEDGE in flight');
      expect(fw.complete).to.equal(true);
      let stopped = false;
      const stopping = backend.stop().then(() => { stopped = true; });
      await settle();
      expect(client.stopped).to.equal(0);
      client.held[0].resolve();
      await stopping;
      expect(stopped).to.equal(true);
      expect(client.stopped).to.equal(1);
    });


    it('does not retry an ACKNOWLEDGE the master refuses as malformed (400), and retries one refused otherwise', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      client.refuseAcks = [400, 503];
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => logger.has('error', new RegExp(`^acknowledge ${escape(t.task_id.value)} refused as malformed: HTTP 400$`)), 5000, 'the refusal');
      clock.advance(60_000);
      expect(client.of('acknowledge')).to.have.length(1);
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => logger.has('warn', new RegExp(`^acknowledge ${escape(t.task_id.value)} failed \\(HTTP 503\\); retrying in (0\\.[5-9]|1\\.0) s$`)), 5000, 'the retry');
      clock.advance(1000);
      await waitFor(() => client.of('acknowledge').length === 3, 5000, 'the retried ACKNOWLEDGE');
    });

    it('neither retries nor promises to retry an ACKNOWLEDGE that fails after its subscription ended', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      client.holdAcks = true;
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => client.held.length === 1, 5000, 'the ACKNOWLEDGE in flight');
      client.emit('disconnected');
      client.held[0].reject(new Error('connection reset'));
      await settle();
      expect(logger.has('warn', /retrying/)).to.equal(false);
      expect(clock.timersPending).to.equal(0);
    });
  });

  describe('periodic checks', () => {
    it('leaves tasks alone while the master is away: no STAGING timeout, no requeue', async () => {
      await setUp(320);
      await launch('o1');
      client.subscribed = false;
      clock.advance(600_000);
      tick();
      expect(client.of('kill')).to.have.length(0);
      expect(fw.ledger.inFlightCount).to.equal(1);
    });

    it('times out a task the master still reports staging when asked', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_STAGING', reason: 'REASON_RECONCILIATION' } as TaskStatus);
      await settle();
      clock.advance(120_000);
      tick();
      expect(client.of('kill').map((c) => c.args[0])).to.deep.equal([t.task_id.value]);
    });

    it('says a task killed in STAGING was lost for that reason', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      clock.advance(120_000);
      tick();
      await waitFor(() => fw.ledger.queuedTerms === 320, 5000, 'the requeue');
      expect(logger.has('warn', new RegExp(`^task ${escape(t.task_id.value)} lost \\(stuck in STAGING\\); range 0\\+320 requeued, attempt 1$`))).to.equal(true);
    });

    it('measures the wait for a result from the first report without it, not from a repeat', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_RUNNING', uuid: uuid() } as TaskStatus);
      await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
      const { data: _d, uuid: _u, ...stripped } = rangeUpdate(t, 0);
      const reports = (): number => logger.lines.filter((l) => l.level === 'debug' && /reported finished without its result/.test(l.msg)).length;
      client.emit('update', { ...stripped, reason: 'REASON_RECONCILIATION' });
      await waitFor(() => reports() === 1, 5000, 'the first data-less FINISHED');
      clock.advance(60_000);
      client.emit('update', { ...stripped, reason: 'REASON_RECONCILIATION' });
      await waitFor(() => reports() === 2, 5000, 'the repeat');
      clock.advance(59_999);
      tick();
      await settle();
      expect(fw.ledger.inFlightCount, 'a millisecond before the 2 minutes').to.equal(1);
      clock.advance(1);
      tick();
      await waitFor(() => fw.ledger.queuedTerms === 320, 5000, 'the requeue, 2 minutes after the first report');
    });

    it('waits for no result of a task the master reports finished after it is counted', async () => {
      await setUp(640);
      const [t] = await launch('o1');
      client.emit('update', rangeUpdate(t, 0));
      await waitFor(() => fw.ledger.acc.prefixEnd === 320 && client.of('acknowledge').length === 1, 5000, 'the result');
      const { data: _d, uuid: _u, ...stripped } = rangeUpdate(t, 0);
      client.emit('update', { ...stripped, reason: 'REASON_RECONCILIATION' });
      await waitFor(() => logger.has('debug', /reported finished by the master; nothing in flight to count/), 5000, 'the answer');
      clock.advance(600_000);
      tick();
      await settle();
      expect(logger.has('warn', /result never arrived/)).to.equal(false);
    });

    it('reconciles only the adopted tasks the master has not answered', async () => {
      await setUp(640);
      const [a, b] = await launch('o1', 'a1', 2);
      expect(b).to.not.equal(undefined);
      await subscribed();
      client.emit('update', { task_id: a.task_id, agent_id: a.agent_id, state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION' } as TaskStatus);
      await waitFor(() => (backend as unknown as { unanswered: Set<string> }).unanswered.size === 1, 5000, 'the answer for a');
      clock.advance(5000);
      tick();
      expect(client.of('reconcile').map((c) => (c.args[0] as { task_id: string }[]).map((x) => x.task_id)))
        .to.deep.equal([[a.task_id.value, b.task_id.value], [b.task_id.value]]);
      // What an operator reads about it.
      expect(logger.has('info', /^reconciling 2 tasks$/)).to.equal(true);
      expect(logger.has('info', /^1 tasks not answered by the master yet \(agents still re-registering\?\): asking again$/)).to.equal(true);
    });

    it('runs its periodic checks by itself once started', async () => {
      await setUp(320);
      const [t] = await launch('o1');
      backend.start();
      expect(client.started).to.equal(1);
      clock.advance(120_000);
      await waitFor(() => client.of('kill').length === 1, 5000, 'the STAGING timeout, from the backend\'s own timer');
      expect(client.of('kill')[0].args[0]).to.equal(t.task_id.value);
    });
  });

  it('stops: declines offers, revives nothing, and leaves no timer behind', async () => {
    // A revive interval longer than the clock's age: the first REVIVE waits on a timer.
    await setUp(320, { reviveIntervalMs: 2_000_000 });
    const [t] = await launch('o1');
    await declined('o2', 'a2', 4);
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_TERMINATED', uuid: uuid() } as TaskStatus);
    await waitFor(() => clock.timersPending === 1, 5000, 'the REVIVE timer');
    await backend.stop();
    expect(clock.timersPending).to.equal(0);
    clock.advance(3_000_000);
    expect(client.of('revive')).to.have.length(0);
    expect((await declined('o3')).refuse_seconds).to.equal(600);
    expect(client.launched).to.have.length(1);
  });
});
