// "Intent on disk, then launch" and "persist, then acknowledge", observed at the moment of each
// call: the client double reads the state file inside launch() and acknowledge(), so a backend that
// sends first and writes after fails here even though the file is right once everything is over.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { MesosBackend } from '../../src/framework/mesos-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { decodeTask, taskRanges } from '../../src/executor/task-codec';
import { scaleFor } from '../../src/pi/precision';
import type { SchedulerClient } from '../../src/mesos/scheduler';
import type { TaskStatus } from '../../src/mesos/types';
import { waitFor } from '../support/wait';
import { finishedOnDisk, inFlightOnDisk, ManualClock, offer, rangeUpdate, SnapshottingClient, TEMPLATE, uuid } from './backend-double';

describe('Mesos backend: the order of disk writes and calls', () => {
  let dir: string;
  let clock: ManualClock;
  let fw: PiFramework;
  let client: SnapshottingClient;
  let backend: MesosBackend;
  let logger: MemoryLogger;

  async function setUp(maxTerms: number, rangeSeconds = 1): Promise<void> {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-order-'));
    clock = new ManualClock();
    logger = new MemoryLogger();
    // 320 terms/s assumed and 0.1 s ranges: tasks of ten 32-term ranges when rangeSeconds < 1.
    fw = await PiFramework.open({
      scale: scaleFor(20), stateDir: dir, logger, targetTaskSeconds: 1, targetRangeSeconds: rangeSeconds, maxTerms, defaultRate: 320, now: clock.now,
    });
    client = new SnapshottingClient(PiFramework.stateFile(dir), clock.now);
    backend = new MesosBackend({
      fw, client: client as unknown as SchedulerClient, logger, role: 'pi', now: clock.now, timers: clock,
      executor: TEMPLATE, taskCpus: 0.95, taskMemMb: 32,
    });
  }
  afterEach(async () => {
    await backend.stop();
    await fs.chmod(dir, 0o700).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('has every range of a task in flight on disk when the launch is sent', async () => {
    await setUp(32 * 40, 0.1);
    client.emit('offers', [offer('o1', 'a1', 2, 1024)]);
    await waitFor(() => client.of('launch').length === 1, 5000, 'launch');
    const call = client.of('launch')[0];
    const tasks = client.launched;
    expect(tasks.length).to.equal(2);
    for (const t of tasks) {
      const want = taskRanges(decodeTask(t.data)).map((r) => `${r.start}+${r.count}`);
      expect(want.length, 'a task of several ranges').to.be.greaterThan(1);
      expect(inFlightOnDisk(call.disk, t.task_id.value), `task ${t.task_id.value} on disk at launch`).to.deep.equal(want);
    }
  });

  it('has a TASK_FINISHED result on disk when it is acknowledged', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 5000, 'launch');
    const t = client.launched[0];
    client.emit('update', rangeUpdate(t, 0));
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    const { disk } = client.of('acknowledge')[0];
    expect(finishedOnDisk(disk, 0, 320), 'the result was on disk before the ACK').to.equal(true);
    expect(inFlightOnDisk(disk, t.task_id.value)).to.equal(undefined);
  });

  it('has each TASK_RUNNING range result on disk when it is acknowledged, and the ranges still owed in flight', async () => {
    await setUp(32 * 10, 0.1);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 5000, 'launch');
    const t = client.launched[0];
    const ranges = taskRanges(decodeTask(t.data));
    expect(ranges.length).to.equal(10);
    for (let i = 0; i < ranges.length; i++) {
      client.emit('update', rangeUpdate(t, i));
      await waitFor(() => client.of('acknowledge').length === i + 1, 5000, `ack ${i}`);
      const { disk } = client.of('acknowledge')[i];
      expect(finishedOnDisk(disk, ranges[i].start, ranges[i].count), `range ${i} on disk before its ACK`).to.equal(true);
      const owed = ranges.slice(i + 1).map((r) => `${r.start}+${r.count}`);
      expect(inFlightOnDisk(disk, t.task_id.value)).to.deep.equal(owed.length ? owed : undefined);
    }
  });

  it('has a failed task\'s ranges back in the queue on disk when the failure is acknowledged', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 5000, 'launch');
    const t = client.launched[0];
    client.emit('update', { task_id: t.task_id, agent_id: t.agent_id, state: 'TASK_FAILED', uuid: uuid() } as TaskStatus);
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    const { disk } = client.of('acknowledge')[0];
    expect(inFlightOnDisk(disk, t.task_id.value)).to.equal(undefined);
    expect(disk!.ledger.queue.map((q) => `${q.start}+${q.count}@${q.attempt}`)).to.deep.equal(['0+320@1']);
  });

  it('does not acknowledge an update whose checkpoint could not be written, and does once it is', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 5000, 'launch');
    const t = client.launched[0];
    // The state directory replaced by a file: every write fails (as root too, unlike chmod).
    const saved = `${dir}.saved`;
    await fs.rename(dir, saved);
    await fs.writeFile(dir, 'not a directory');
    const update = rangeUpdate(t, 0);
    client.emit('update', update);
    await waitFor(() => logger.has('error', /status update for .* not recorded; it will be re-sent/), 5000, 'the failed write');
    expect(client.of('acknowledge')).to.have.length(0);
    // The agent re-sends it; now the disk takes it, and only then is it acknowledged.
    await fs.rm(dir);
    await fs.rename(saved, dir);
    client.emit('update', update);
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    expect(finishedOnDisk(client.of('acknowledge')[0].disk, 0, 320)).to.equal(true);
    expect(fw.ledger.acc.prefixEnd).to.equal(320);
  });

  it('kills the re-run of a range once the late result of the task presumed lost is counted', async () => {
    await setUp(32 * 10);
    client.emit('offers', [offer('o1', 'a1', 1, 1024)]);
    await waitFor(() => client.launched.length === 1, 5000, 'launch');
    const first = client.launched[0];
    // No update for two minutes: presumed stuck, killed, its range queued again (1 s backoff).
    clock.advance(120_001);
    (backend as unknown as { onTick(): void }).onTick();
    await waitFor(() => fw.ledger.queuedTerms === 320, 5000, 'requeue');
    clock.advance(1000);
    client.emit('offers', [offer('o2', 'a2', 1, 1024)]);
    await waitFor(() => client.launched.length === 2, 5000, 'the re-run');
    const rerun = client.launched[1];
    expect(decodeTask(rerun.data)).to.include({ start: 0, count: 320 });
    const killsBefore = client.of('kill').length;
    // The first task was alive after all: its result counts, and the re-run is pointless.
    client.emit('update', rangeUpdate(first, 0));
    await waitFor(() => client.of('acknowledge').length === 1, 5000, 'ack');
    await waitFor(() => client.of('kill').length > killsBefore, 5000, 'the kill of the re-run');
    expect(client.of('kill').slice(killsBefore).map((c) => c.args[0])).to.deep.equal([rerun.task_id.value]);
    expect(fw.ledger.inFlightCount).to.equal(0);
    expect(fw.complete).to.equal(true);
  });
});
