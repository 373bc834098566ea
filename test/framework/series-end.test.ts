// The end of the series: term 2^52 (MAX_TERMS), where a range may end but none may start. The
// last range must be accepted by the ledger, the task and result codecs and the executor, and a
// run with --max-terms at the end must complete. Summing 2^52 terms is out of the question, so
// the runs resume from a crafted checkpoint a few groups below the end: any split of the series
// gives the same integers, so the final sum must be the crafted prefix plus the exact tail.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_PRECISION } from '../../src/daemon/config';
import { decodeResult, decodeTask, encodeResult, encodeTask, taskRanges } from '../../src/executor/task-codec';
import { Ledger, LedgerState } from '../../src/framework/ledger';
import { PiFramework } from '../../src/framework/pi-framework';
import { MemoryLogger } from '../../src/common/logger';
import { scaleFor } from '../../src/pi/precision';
import { checkRange, GROUP_TERMS, MAX_TERMS, RangeError_ } from '../../src/pi/range';
import { sumRange } from '../../src/pi/range-sum';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { daemonArgs, readFrameworkState, startPiTestBed, PiTestBed } from '../support/pi-cluster';
import { machinPiScaled } from '../support/reference-pi';

const SCALE = scaleFor(DEFAULT_PRECISION);
/** Where the crafted checkpoint leaves off: eight groups below the end. */
const TAIL_GROUPS = 8;
const FROM = MAX_TERMS - TAIL_GROUPS * GROUP_TERMS;

/** A checkpoint of [0, FROM) finished: a plausible prefix value (π minus the tail, at this scale). */
function craftedLedger(): LedgerState {
  const digits = 60;
  const one = 1n << BigInt(SCALE.bits);
  const pi = (machinPiScaled(digits) * one) / 10n ** BigInt(digits);
  // FROM is even, so S_FROM = π − R_FROM with R_FROM about 2/(2·FROM+1).
  const value = pi - (2n * one) / (2n * BigInt(FROM) + 1n);
  return {
    version: 1, digits: SCALE.digits, bits: SCALE.bits, kernel: SCALE.kernel,
    frontier: FROM, prefixEnd: FROM, prefixValue: value.toString(), prefixErrUnits: '123456789',
    ahead: [], queue: [], inFlight: [],
  };
}

/** The exact sum the run must end with: the crafted prefix plus the tail, summed here in one piece. */
function expectedEnd(): { value: string; errUnits: string } {
  const base = craftedLedger();
  const tail = sumRange({ start: FROM, count: MAX_TERMS - FROM }, SCALE);
  return { value: (BigInt(base.prefixValue) + tail.value).toString(), errUnits: (BigInt(base.prefixErrUnits) + tail.errUnits).toString() };
}

async function writeCheckpoint(stateDir: string): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  await fs.writeFile(PiFramework.stateFile(stateDir), JSON.stringify({ ledger: craftedLedger() }));
}

async function expectCompleteAtTheEnd(stateDir: string): Promise<void> {
  const s = (await readFrameworkState(stateDir))!;
  expect(s.ledger.prefixEnd).to.equal(MAX_TERMS);
  expect(s.ledger.frontier).to.equal(MAX_TERMS);
  expect(s.ledger.inFlight).to.deep.equal([]);
  expect(s.ledger.queue).to.deep.equal([]);
  const want = expectedEnd();
  expect(s.ledger.prefixValue).to.equal(want.value);
  expect(s.ledger.prefixErrUnits).to.equal(want.errUnits);
}

describe('the end of the series (2^52 terms)', function () {
  this.timeout(120_000);
  // A daemon that never completes (the bug this file is for) must not outlive its test.
  let stopAfter: RunningDaemon | undefined;
  afterEach(() => {
    if (stopAfter && stopAfter.child.exitCode === null && stopAfter.child.signalCode === null) stopAfter.child.kill('SIGKILL');
    stopAfter = undefined;
  });

  it('a range may end at 2^52, none may go beyond', () => {
    const last = { start: MAX_TERMS - GROUP_TERMS, count: GROUP_TERMS };
    expect(() => checkRange(last)).to.not.throw();
    expect(() => checkRange({ start: FROM, count: MAX_TERMS - FROM })).to.not.throw();
    expect(() => checkRange({ start: MAX_TERMS, count: GROUP_TERMS })).to.throw(RangeError_, /exceeds/);
    expect(() => checkRange({ start: MAX_TERMS - GROUP_TERMS, count: 2 * GROUP_TERMS })).to.throw(RangeError_, /exceeds/);
  });

  it('the ledger hands out the last range, ends the run exactly at 2^52, and clamps a larger limit to it', () => {
    for (const limit of [MAX_TERMS, MAX_TERMS + 1, Number.MAX_SAFE_INTEGER]) {
      const ledger = Ledger.restore(craftedLedger(), SCALE, limit);
      expect(ledger.limit).to.equal(MAX_TERMS);
      const taken = [];
      for (let r = ledger.take(3 * GROUP_TERMS); r; r = ledger.take(3 * GROUP_TERMS)) taken.push(r);
      expect(taken.map((r) => r.start + r.count)).to.deep.equal([FROM + 3 * GROUP_TERMS, FROM + 6 * GROUP_TERMS, MAX_TERMS]);
      expect(ledger.drained).to.equal(true);
      ledger.launch('t', taken, 'a1');
      for (const r of taken) expect(ledger.finish('t', sumRange(r, SCALE)).outcome).to.equal('merged');
      expect(ledger.complete).to.equal(true);
      expect(ledger.acc.prefixEnd).to.equal(MAX_TERMS);
      ledger.checkInvariant();
    }
  });

  it('the task and result codecs carry the last range, alone and as the last of several', () => {
    const last = { start: MAX_TERMS - GROUP_TERMS, count: GROUP_TERMS };
    const task = { rangeId: `${FROM}+${GROUP_TERMS}`, start: FROM, count: GROUP_TERMS, digits: SCALE.digits, more: [{ start: FROM + GROUP_TERMS, count: MAX_TERMS - FROM - 2 * GROUP_TERMS }, last] };
    const decoded = decodeTask(encodeTask(task));
    expect(taskRanges(decoded)).to.deep.equal(taskRanges(task));
    const alone = { rangeId: `${last.start}+${last.count}`, ...last, digits: SCALE.digits };
    expect(decodeTask(encodeTask(alone))).to.deep.equal(alone);
    const sum = sumRange(last, SCALE);
    const result = decodeResult(encodeResult({ ...sum, rangeId: alone.rangeId, computeSeconds: 0.1 }), { task: alone });
    expect(result.start + result.count).to.equal(MAX_TERMS);
    expect(result.value).to.equal(sum.value);
  });

  it('a framework resumed just below the end completes the run with the exact sum', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-end-'));
    try {
      await writeCheckpoint(dir);
      const fw = await PiFramework.open({ scale: SCALE, stateDir: dir, logger: new MemoryLogger(), targetTaskSeconds: 1, maxTerms: MAX_TERMS, defaultRate: GROUP_TERMS * 2 });
      let complete = false;
      fw.on('complete', () => { complete = true; });
      for (let tasks = fw.plan('a1', 4); tasks.length > 0; tasks = fw.plan('a1', 4)) {
        for (const t of tasks) {
          for (const r of taskRanges(t.task)) {
            const sum = sumRange(r, SCALE);
            await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: encodeResult({ ...sum, rangeId: `${r.start}+${r.count}`, computeSeconds: 0.01 }) });
          }
          await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1' });
        }
      }
      expect(complete).to.equal(true);
      await expectCompleteAtTheEnd(dir);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('the daemon in local mode with --max-terms 2^52 completes from a checkpoint below the end', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-end-local-'));
    try {
      await writeCheckpoint(path.join(dir, 'state'));
      const d = startDaemon(['--master', 'local[2]', '--display', 'none', '--http', 'off', '--state-dir', path.join(dir, 'state'),
        '--max-terms', String(MAX_TERMS), '--target-task-seconds', '1', '--target-range-seconds', '0.1']);
      stopAfter = d;
      const end = await d.exited;
      expect(end.code, d.output()).to.equal(0);
      expect(d.output()).to.match(new RegExp(`run complete: ${MAX_TERMS} terms`));
      await expectCompleteAtTheEnd(path.join(dir, 'state'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  describe('on the test Mesos cluster, with the real executor', () => {
    let bed: PiTestBed | undefined;
    afterEach(async () => { await bed?.cleanup(); bed = undefined; });

    it('the daemon with --max-terms 2^52 completes: the executors compute the ranges up to the last', async () => {
      bed = await startPiTestBed();
      await writeCheckpoint(bed.stateDir);
      const args = daemonArgs(bed, bed.cluster.masterSpec, MAX_TERMS);
      // Two groups a task: the eight left spread over the agents, one of them ending at 2^52.
      args[args.indexOf('--max-task-terms') + 1] = String(2 * GROUP_TERMS);
      const d = startDaemon(args);
      stopAfter = d;
      const end = await d.exited;
      expect(end.code, d.output()).to.equal(0);
      expect(d.output()).to.match(new RegExp(`run complete: ${MAX_TERMS} terms`));
      await expectCompleteAtTheEnd(bed.stateDir);
      const ends = [...bed.cluster.tasks.values()].filter((t) => t.state === 'TASK_FINISHED')
        .flatMap((t) => taskRanges(decodeTask(t.info.data)).map((r) => r.start + r.count));
      expect(ends).to.include(MAX_TERMS);
    });
  });
});
