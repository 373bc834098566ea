// Local mode (`--master local[N]`) in-process, with real worker threads: a run to the exact sum,
// what a restart requeues, what a worker killed or dead costs, what a shutdown gives back, the
// efficiency it reports, and the error logged when bookkeeping fails. Conditions are polled
// (waitFor), never slept on; back-offs run on an injected clock.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Worker } from 'worker_threads';
import { MemoryLogger } from '../../src/common/logger';
import { LocalBackend } from '../../src/framework/local-backend';
import { FrameworkOptions, PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import { waitFor } from '../support/wait';
import { ManualClock } from './backend-double';

const SCALE = scaleFor(20);

describe('local mode', () => {
  let dir: string;
  let logger: MemoryLogger;
  let clock: ManualClock;
  let backend: LocalBackend | undefined;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-localmode-'));
    logger = new MemoryLogger();
    clock = new ManualClock();
    backend = undefined;
  });
  afterEach(async () => {
    await backend?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const open = (extra: Partial<FrameworkOptions> = {}): Promise<PiFramework> =>
    PiFramework.open({ scale: SCALE, stateDir: dir, logger, targetTaskSeconds: 1, defaultRate: 32, now: clock.now, ...extra });
  /** Tasks far longer than any test: none finishes while it looks. */
  const openLong = (extra: Partial<FrameworkOptions> = {}): Promise<PiFramework> => open({ targetTaskSeconds: 3600, defaultRate: 1e9, ...extra });
  const onDisk = async (): Promise<{ ledger: { prefixEnd: number; inFlight: unknown[]; queue: { start: number; count: number; attempt: number }[] } }> =>
    JSON.parse(await fs.readFile(PiFramework.stateFile(dir), 'utf8'));
  const warnings = (): string[] => logger.lines.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.msg);

  it('computes a run to its exact sum, each range once, and leaves it complete on disk', async () => {
    // 64 tasks of one block each on two workers: many completions close together.
    const fw = await open({ maxTerms: 32 * 64, maxTaskTerms: 32 });
    backend = new LocalBackend(fw, 2, logger);
    await backend.start();
    await waitFor(() => fw.complete, 20_000, 'the run to complete');
    await backend.stop();
    expect(fw.ledger.acc.prefixValue).to.equal(sumRange({ start: 0, count: 32 * 64 }, SCALE).value);
    expect(fw.tasksFinished).to.equal(64);
    expect(backend.tasksLaunched).to.equal(64);
    expect(fw.tasksLost).to.equal(0);
    expect(warnings()).to.deep.equal([]);
    expect(fw.planner.rate('local'), 'the workers measured as agent "local"').to.be.greaterThan(0);
    expect(logger.lines.filter((l) => l.level === 'notice').map((l) => l.msg)).to.include('local mode: 2 worker threads, precision 20 digits');
    expect(logger.lines.filter((l) => l.level === 'info')).to.deep.equal([], 'nothing was requeued on a fresh start');
    const disk = await onDisk();
    expect(disk.ledger.prefixEnd).to.equal(32 * 64);
    expect(disk.ledger.inFlight).to.deep.equal([]);
  });

  it('on a restart requeues what was in flight, on disk before anything runs, and finishes it', async () => {
    const before = await open({ maxTerms: 32 * 4, defaultRate: 64 });
    const planned = before.plan('local', 2);
    expect(planned.map((p) => p.task.count)).to.deep.equal([64, 64]);
    await before.persist();
    const fw = await open({ maxTerms: 32 * 4, defaultRate: 64 });
    expect(fw.ledger.inFlightCount).to.equal(2);
    backend = new LocalBackend(fw, 1, logger);
    await backend.start();
    expect(logger.lines.filter((l) => l.level === 'info').map((l) => l.msg)).to.include('requeued 2 ranges that were in flight when the previous run stopped');
    await waitFor(() => fw.complete, 20_000, 'the run to complete');
    expect(fw.ledger.acc.prefixValue).to.equal(sumRange({ start: 0, count: 128 }, SCALE).value);
    expect(fw.tasksFinished).to.equal(2);
    expect(backend.tasksLaunched).to.equal(2);
  });

  it('a worker killed outside a shutdown is a failed attempt: requeued with back-off, then retried', async () => {
    // One task is the whole run: nothing else to launch meanwhile.
    const fw = await openLong({ maxTerms: 2 ** 40 });
    backend = new LocalBackend(fw, 1, logger);
    await backend.start();
    await waitFor(() => backend!.pool.running === 1, 10_000, 'the worker busy');
    const [t] = fw.ledger.tasks();
    const count = t.parts[0].count;
    let writes = 0;
    const persist = fw.persist.bind(fw);
    fw.persist = () => { writes++; return persist(); };
    expect(backend.pool.kill(t.taskId)).to.equal(true);
    await waitFor(() => fw.tasksLost === 1, 10_000, 'the kill to be counted');
    expect(warnings()).to.deep.equal([`task ${t.taskId} killed; range 0+${count} requeued, attempt 1`]);
    expect(fw.ledger.nextRetryIn()).to.equal(1);
    // Once the failure is on disk the backend has looked for work, found none before the back-off
    // ends, and set itself a timer: nothing runs until then.
    await fw.persist();
    expect(fw.ledger.tasks()).to.deep.equal([]);
    clock.advance(1000);
    const retry = await waitFor(() => fw.ledger.tasks()[0], 10_000, 'the retry to be launched');
    expect(retry.taskId).to.match(new RegExp(`^pi\\.0\\.${count}\\.1\\.`));
    await waitFor(() => backend!.pool.running === 1, 10_000, 'the worker busy again');
    expect(backend.tasksLaunched).to.equal(2);
    // The failure, the test's own write, the retry's intent: no checkpoint rewritten while it waited.
    expect(writes).to.equal(3);
  });

  it('plans for an idle worker once, even when two tasks end while a fill is writing its intent', async () => {
    const fw = await openLong();
    backend = new LocalBackend(fw, 2, logger);
    await backend.start();
    await waitFor(() => backend!.pool.running === 2, 10_000, 'both workers busy');
    // Checkpoint writes are held until the test lets each one complete.
    const held: { written: Promise<void>; release: () => void }[] = [];
    let hold = true;
    const persist = fw.persist.bind(fw);
    fw.persist = () => {
      const written = persist();
      if (!hold) return written;
      return new Promise<void>((resolve, reject) => held.push({ written, release: () => { written.then(resolve, reject); } }));
    };
    const release = async (): Promise<void> => {
      const h = held.shift()!;
      await h.written;
      h.release();
      // Let everything that waited on that write run (promise callbacks only, no I/O).
      await new Promise((r) => setImmediate(r));
    };
    const [t1, t2] = fw.ledger.tasks();
    backend.pool.kill(t1.taskId);
    await waitFor(() => held.length === 1, 10_000, 'the first kill recorded');
    backend.pool.kill(t2.taskId);
    await waitFor(() => held.length === 2, 10_000, 'the second kill recorded');
    await release(); // the first kill is on disk: a fill plans two tasks and writes their intent …
    expect(held).to.have.length(2);
    await release(); // … and while it does, the second kill is on disk too
    hold = false;
    while (held.length > 0) await release();
    await waitFor(() => backend!.pool.running === 2, 10_000, 'both workers busy again');
    expect(backend.tasksLaunched).to.equal(4);
    expect(fw.ledger.inFlightCount).to.equal(2);
    expect(fw.tasksLost).to.equal(2);
    expect(warnings().filter((w) => !/ killed; /.test(w))).to.deep.equal([]);
  });

  it('a worker thread that dies fails its task with the reason, and the range goes back', async () => {
    const fw = await openLong();
    backend = new LocalBackend(fw, 1, logger);
    await backend.start();
    await waitFor(() => backend!.pool.running === 1, 10_000, 'the worker busy');
    const [t] = fw.ledger.tasks();
    // As if the thread had crashed (out of memory, a native fault).
    await (backend.pool as unknown as { slots: { worker: Worker }[] }).slots[0].worker.terminate();
    await waitFor(() => fw.tasksLost === 1, 10_000, 'the failure to be counted');
    expect(warnings()).to.have.length(1);
    expect(warnings()[0]).to.match(new RegExp(`^task ${t.taskId.replace(/\./g, '\\.')} failed \\(worker exited with code \\d+\\); range 0\\+${t.parts[0].count} requeued, attempt 1$`));
    expect(fw.ledger.queuedTerms).to.equal(t.parts[0].count);
  });

  it('a shutdown gives the running ranges back at the same attempt, without back-off or a failure counted', async () => {
    const fw = await openLong();
    backend = new LocalBackend(fw, 2, logger);
    await backend.start();
    await waitFor(() => backend!.pool.running === 2, 10_000, 'both workers busy');
    const terms = fw.ledger.tasks().reduce((s, t) => s + t.parts[0].count, 0);
    await backend.stop();
    expect(fw.ledger.inFlightCount).to.equal(0);
    expect(fw.ledger.queuedTerms).to.equal(terms);
    expect(fw.ledger.snapshot().queue.map((q) => q.attempt)).to.deep.equal([0, 0]);
    expect(fw.ledger.nextRetryIn()).to.equal(undefined);
    expect(fw.tasksLost).to.equal(0);
    expect(warnings()).to.deep.equal([]);
    expect(backend.tasksLaunched).to.equal(2);
  });

  it('a stop while the first tasks are being recorded gives their ranges back uncounted, not as failures', async () => {
    const fw = await openLong();
    backend = new LocalBackend(fw, 2, logger);
    // start() returns with the first tasks planned and their checkpoint being written.
    await backend.start();
    await backend.stop();
    expect(warnings()).to.deep.equal([]);
    expect(fw.tasksLost).to.equal(0);
    expect(fw.ledger.inFlightCount).to.equal(0);
    expect(fw.ledger.snapshot().queue.map((q) => q.attempt)).to.deep.equal([0, 0]);
    expect(fw.ledger.nextRetryIn()).to.equal(undefined);
    expect(backend.tasksLaunched).to.equal(0);
  });

  it('reports its efficiency: the share of worker time spent computing, near 1 with every worker busy', async () => {
    const fw = await openLong();
    backend = new LocalBackend(fw, 2, logger);
    expect(backend.efficiency()).to.equal(0);
    await backend.start();
    await waitFor(() => backend!.pool.busySeconds() >= 3, 20_000, 'three seconds of worker time');
    const e = backend.efficiency();
    expect(e).to.be.greaterThan(0.5);
    expect(e).to.be.at.most(1);
  });

  it('logs an error when the bookkeeping of a finished task fails (the checkpoint cannot be written)', async () => {
    const fw = await openLong();
    backend = new LocalBackend(fw, 1, logger);
    await backend.start();
    await waitFor(() => backend!.pool.running === 1, 10_000, 'the worker busy');
    // The state file's name now holds a directory with something in it: no rename lands there.
    const file = PiFramework.stateFile(dir);
    await fs.rm(file);
    await fs.mkdir(path.join(file, 'blocked'), { recursive: true });
    backend.pool.kill(fw.ledger.tasks()[0].taskId);
    await waitFor(() => logger.lines.some((l) => l.level === 'error'), 10_000, 'an error logged');
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)[0]).to.match(/^local task bookkeeping failed: E[A-Z]+/);
  });
});
