// PiFramework's and MesosBackend's rules that the end-to-end runs pass through without looking:
// why nothing runs (the display's framework page), the next digit's ETA, a result that answers
// no range of its task, a task that finishes owing ranges, ranges dealt to an offer's tasks in
// turn, and a stopping backend declining offers.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { encodeResult, taskRanges } from '../../src/executor/task-codec';
import { MesosBackend } from '../../src/framework/mesos-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import type { SchedulerClient } from '../../src/mesos/scheduler';
import { waitFor } from '../support/wait';
import { ManualClock, offer, SnapshottingClient, TEMPLATE } from './backend-double';

const SCALE = scaleFor(20);

describe('framework rules', () => {
  let dir: string;
  let clock: ManualClock;
  let logger: MemoryLogger;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-rules-'));
    clock = new ManualClock();
    logger = new MemoryLogger();
  });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  const open = (maxTerms: number, extra: Partial<Parameters<typeof PiFramework.open>[0]> = {}) =>
    PiFramework.open({ scale: SCALE, stateDir: dir, logger, targetTaskSeconds: 1, maxTerms, defaultRate: 320, now: clock.now, ...extra });
  const result = (start: number, count: number): Uint8Array => {
    const s = sumRange({ start, count }, SCALE);
    return encodeResult({ ...s, rangeId: `${start}+${count}`, computeSeconds: 0.5 });
  };

  it('deals an offer\'s ranges to its tasks in turn, so the prefix advances with all of them', async () => {
    const fw = await open(32 * 40, { targetRangeSeconds: 0.1 });
    const tasks = fw.plan('a1', 3);
    expect(tasks).to.have.length(3);
    const starts = tasks.map((t) => taskRanges(t.task).map((r) => r.start));
    expect(starts[0].slice(0, 3)).to.deep.equal([0, 96, 192]);
    expect(starts[1].slice(0, 3)).to.deep.equal([32, 128, 224]);
    expect(starts[2].slice(0, 3)).to.deep.equal([64, 160, 256]);
    // Ten ranges of 0.1 s fill a task of 1 s.
    expect(tasks.map((t) => taskRanges(t.task).length)).to.deep.equal([10, 10, 10]);
    expect(tasks[0].taskId).to.match(/^pi\.0\.320\.0\.[0-9a-z]+[0-9a-f]{6}$/);
    fw.ledger.checkInvariant();
  });

  it('holds at most maxTaskTerms terms in one task', async () => {
    const fw = await open(32 * 100, { targetRangeSeconds: 0.1, maxTaskTerms: 96 });
    const [t] = fw.plan('a1', 1);
    expect(taskRanges(t.task).reduce((s, r) => s + r.count, 0)).to.equal(96);
  });

  it('a TASK_RUNNING result that answers no range of its task fails the task, which is killed', async () => {
    const fw = await open(32 * 40, { targetRangeSeconds: 0.1 });
    const [t] = fw.plan('a1', 1);
    const killed: string[] = [];
    fw.on('superseded', (x: { taskId: string }) => killed.push(x.taskId));
    await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: result(32 * 30, 32) });
    expect(killed).to.deep.equal([t.taskId]);
    expect(logger.has('warn', /reported an unusable result \(result for 960\+32 answers no range of this task\)/)).to.equal(true);
    expect(fw.ledger.task(t.taskId)).to.equal(undefined);
    expect(fw.ledger.queuedTerms).to.equal(320);
    expect(fw.tasksLost).to.equal(1);
  });

  it('a task that finishes owing ranges gives them back at once, with a warning', async () => {
    const fw = await open(32 * 40, { targetRangeSeconds: 0.1 });
    const [t] = fw.plan('a1', 1);
    await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: result(0, 32) });
    expect(logger.has('warn', new RegExp(`task ${t.taskId.replace(/\./g, '\\.')} finished without 9 of its ranges; they go back to the queue`))).to.equal(true);
    expect(fw.ledger.queuedTerms).to.equal(288);
    expect(fw.ledger.nextRetryIn()).to.equal(undefined); // at once
    expect(fw.tasksFinished).to.equal(1);
    expect(fw.planner.rate('a1')).to.be.greaterThan(0); // measured from its computeSeconds
  });

  it('ignores active and unknown states, and a failure of a task it does not know', async () => {
    const fw = await open(320);
    const [t] = fw.plan('a1', 1);
    for (const state of ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING']) await fw.onUpdate({ taskId: t.taskId, state });
    expect(fw.ledger.task(t.taskId)).to.not.equal(undefined);
    await fw.onUpdate({ taskId: 'pi.0.32.0.x', state: 'TASK_FAILED' });
    expect(fw.tasksLost).to.equal(0);
    await fw.onUpdate({ taskId: t.taskId, state: 'TASK_UNKNOWN' });
    expect(fw.ledger.queuedTerms).to.equal(320);
  });

  it('estimates the next digit from the rate, null without one', async () => {
    const fw = await open(32 * 1000);
    expect(fw.nextDigitEta()).to.equal(null);
    const tasks = fw.plan('a1', 1);
    clock.advance(10_000);
    await fw.onUpdate({ taskId: tasks[0].taskId, state: 'TASK_FINISHED', agentId: 'a1', data: result(0, 320) });
    // 320 terms in 10 s: 32 terms/s. 320 terms certify 4 decimals; the next is aimed at 10^((4+2)/2) terms.
    expect(fw.certified().decimals).to.equal(4);
    expect(fw.nextDigitEta()).to.be.closeTo((1000 - 320) / 32, 1e-9);
  });

  describe('backend', () => {
    let client: SnapshottingClient;
    let backend: MesosBackend;
    afterEach(async () => { await backend.stop(); });

    async function setUp(maxTerms: number): Promise<PiFramework> {
      const fw = await open(maxTerms);
      client = new SnapshottingClient(PiFramework.stateFile(dir), clock.now);
      backend = new MesosBackend({ fw, client: client as unknown as SchedulerClient, logger, role: 'pi', now: clock.now, timers: clock, executor: TEMPLATE, taskCpus: 0.95, taskMemMb: 32 });
      return fw;
    }

    it('says why nothing runs', async () => {
      await setUp(320);
      client.subscribed = false;
      expect(backend.idleReason()).to.equal('not subscribed');
      client.subscribed = true;
      expect(backend.idleReason()).to.equal('no offers');
      client.emit('offers', [offer('o1', 'a1', 0.5, 1024)]);
      await waitFor(() => client.of('decline').length === 1, 5000, 'decline');
      expect(backend.idleReason()).to.equal('offers too small');
      client.emit('offers', [offer('o2', 'a1', 1, 1024)]);
      await waitFor(() => client.launched.length === 1, 5000, 'launch');
      expect(backend.idleReason()).to.equal(null);
      expect(backend.tasksRunning).to.equal(1);
      client.emit('offers', [offer('o3', 'a2', 1, 1024)]);
      await waitFor(() => client.of('suppress').length === 1, 5000, 'suppress');
      const t = client.launched[0];
      client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FINISHED', data: result(0, 320), uuid: Buffer.alloc(16, 9) });
      await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
      expect(backend.idleReason()).to.equal('done');
      expect([backend.offersReceived, backend.offersDeclined, backend.tasksLaunched]).to.deep.equal([3, 2, 1]);
    });

    it('declines every offer with the long filter once stopping', async () => {
      await setUp(320);
      await backend.stop();
      client.emit('offers', [offer('o1', 'a1', 4, 4096)]);
      await waitFor(() => client.of('decline').length === 1, 5000, 'decline');
      expect(client.launched).to.have.length(0);
      expect((client.of('decline')[0].args[1] as { refuse_seconds: number }).refuse_seconds).to.equal(600);
    });
  });
});
