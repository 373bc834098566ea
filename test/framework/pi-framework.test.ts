// PiFramework in-process, with an injected clock: what it requeues and how soon, what it counts,
// what it logs at which level, which results it merges or refuses, the digits it announces, how it
// sizes tasks before anything is measured, and what a resumed run says. (The daemon tests drive the
// same code in a child process, where a mutation tool cannot see it.)
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { encodeResult, RangeResult, taskRanges } from '../../src/executor/task-codec';
import { FrameworkOptions, MAX_RANGES_PER_TASK, PiFramework, TERMINAL_FAILURES } from '../../src/framework/pi-framework';
import { Certified } from '../../src/pi/certify';
import { Scale, scaleFor } from '../../src/pi/precision';
import { GROUP_TERMS } from '../../src/pi/range';
import { sumRange } from '../../src/pi/range-sum';
import { Throughput } from '../../src/framework/throughput';
import { ManualClock } from './backend-double';

const SCALE = scaleFor(20);

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('pi framework', () => {
  let dir: string;
  let clock: ManualClock;
  let logger: MemoryLogger;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-fw-'));
    clock = new ManualClock();
    logger = new MemoryLogger();
  });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  /** Tasks of 1 s at 320 terms/s: one range of 320 terms each (ten of 32 with targetRangeSeconds 0.1). */
  const open = (maxTerms: number, extra: Partial<FrameworkOptions> = {}, stateDir = dir): Promise<PiFramework> =>
    PiFramework.open({ scale: SCALE, stateDir, logger, targetTaskSeconds: 1, maxTerms, defaultRate: 320, now: clock.now, ...extra });
  const resultOf = (start: number, count: number, over: Partial<RangeResult> = {}, scale: Scale = SCALE): Uint8Array => {
    const s = sumRange({ start, count }, scale);
    return encodeResult({ ...s, rangeId: `${start}+${count}`, computeSeconds: 0.5, ...over });
  };
  const lines = (level: string): string[] => logger.lines.filter((l) => l.level === level).map((l) => l.msg);

  describe('failures', () => {
    it('every terminal failure state requeues the task\'s range with a 1 s back-off and counts it lost', async () => {
      const states = ['TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_KILLED', 'TASK_UNKNOWN'];
      expect([...TERMINAL_FAILURES].sort()).to.deep.equal([...states].sort());
      for (const state of states) {
        const fw = await open(320, {}, path.join(dir, state));
        const [t] = fw.plan('a1', 1);
        await fw.onUpdate({ taskId: t.taskId, state, agentId: 'a1' });
        expect(fw.ledger.task(t.taskId), state).to.equal(undefined);
        expect(fw.ledger.queuedTerms, state).to.equal(320);
        expect(fw.ledger.nextRetryIn(), state).to.equal(1);
        expect(fw.tasksLost, state).to.equal(1);
        const word = state.replace('TASK_', '').toLowerCase();
        expect(lines('warn'), state).to.include(`task ${t.taskId} ${word}; range 0+320 requeued, attempt 1`);
      }
    });

    it('names the reason and the message of a failure when there are any', async () => {
      const fw = await open(32 * 30);
      const [a, b, c] = fw.plan('a1', 3);
      await fw.onUpdate({ taskId: a.taskId, state: 'TASK_FAILED', reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: 'exit status 1' });
      await fw.onUpdate({ taskId: b.taskId, state: 'TASK_LOST', message: 'agent removed' });
      await fw.onUpdate({ taskId: c.taskId, state: 'TASK_KILLED', reason: 'REASON_TASK_KILLED_DURING_LAUNCH' });
      expect(lines('warn')).to.deep.equal([
        `task ${a.taskId} failed (REASON_COMMAND_EXECUTOR_FAILED: exit status 1); range 0+320 requeued, attempt 1`,
        `task ${b.taskId} lost (agent removed); range 320+320 requeued, attempt 1`,
        `task ${c.taskId} killed (REASON_TASK_KILLED_DURING_LAUNCH); range 640+320 requeued, attempt 1`,
      ]);
    });

    it('a task of several ranges that fails names how many, from where, and requeues them all', async () => {
      const fw = await open(32 * 40, { targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      expect(taskRanges(t.task)).to.have.length(10);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_LOST', agentId: 'a1' });
      expect(lines('warn')).to.deep.equal([`task ${t.taskId} lost; 10 ranges from 0+32 requeued, attempt 1`]);
      expect(fw.ledger.queuedTerms).to.equal(320);
      fw.ledger.checkInvariant();
    });

    it('backs off 1, 2, 4 … s up to a minute, and after maxQuietRetries logs each retry as an error', async () => {
      const fw = await open(320);
      const seen: { attempt: number; wait: number | undefined; level: string }[] = [];
      for (let attempt = 1; attempt <= 8; attempt++) {
        const [t] = fw.plan('a1', 1);
        expect(t.taskId.split('.')[3], 'the attempt is in the task id').to.equal(String(attempt - 1));
        logger.lines.length = 0;
        await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FAILED', agentId: 'a1' });
        expect(logger.lines).to.have.length(1);
        expect(logger.lines[0].msg).to.equal(`task ${t.taskId} failed; range 0+320 requeued, attempt ${attempt}`);
        const wait = fw.ledger.nextRetryIn();
        seen.push({ attempt, wait, level: logger.lines[0].level });
        // Not before the back-off …
        expect(fw.plan('a1', 1)).to.deep.equal([]);
        clock.advance(wait! * 1000);
      }
      expect(seen).to.deep.equal([
        { attempt: 1, wait: 1, level: 'warn' },
        { attempt: 2, wait: 2, level: 'warn' },
        { attempt: 3, wait: 4, level: 'warn' },
        { attempt: 4, wait: 8, level: 'warn' },
        { attempt: 5, wait: 16, level: 'warn' },
        { attempt: 6, wait: 32, level: 'error' },
        { attempt: 7, wait: 60, level: 'error' },
        { attempt: 8, wait: 60, level: 'error' },
      ]);
      expect(fw.tasksLost).to.equal(8);
    });

    it('maxQuietRetries sets where the warnings turn into errors', async () => {
      const fw = await open(320, { maxQuietRetries: 1 });
      const levels: string[] = [];
      for (let i = 0; i < 3; i++) {
        const [t] = fw.plan('a1', 1);
        await fw.onUpdate({ taskId: t.taskId, state: 'TASK_LOST' });
        levels.push(logger.lines[logger.lines.length - 1].level);
        clock.advance(60_000);
      }
      expect(levels).to.deep.equal(['warn', 'error', 'error']);
    });

    it('a blameless failure requeues at once at the same attempt, logged as info', async () => {
      const fw = await open(320);
      const [first] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: first.taskId, state: 'TASK_FAILED' });
      clock.advance(1000);
      const [t] = fw.plan('a1', 1);
      expect(t.taskId).to.match(/^pi\.0\.320\.1\./);
      logger.lines.length = 0;
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FAILED', blameless: true, reason: 'REASON_EXECUTOR_TERMINATED', message: 'executor exited' });
      expect(logger.lines).to.deep.equal([{
        level: 'info',
        msg: `task ${t.taskId} failed before it started (REASON_EXECUTOR_TERMINATED: executor exited); range 0+320 requeued, attempt 1 unchanged`,
      }]);
      expect(fw.ledger.nextRetryIn()).to.equal(undefined);
      const [again] = fw.plan('a1', 1);
      expect(again.taskId, 'same attempt, no wait').to.match(/^pi\.0\.320\.1\./);
      // A blameless update without a reason says no more than that.
      await fw.onUpdate({ taskId: again.taskId, state: 'TASK_DROPPED', blameless: true });
      expect(logger.lines[1]).to.deep.equal({ level: 'info', msg: `task ${again.taskId} dropped before it started; range 0+320 requeued, attempt 1 unchanged` });
    });
  });

  describe('results', () => {
    it('a result of a task presumed lost still counts, once, final or not', async () => {
      const fw = await open(32 * 20, { targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_LOST', agentId: 'a1' });
      expect(fw.ledger.queuedTerms).to.equal(320);
      // Its agent comes back and reports a range it had finished, then its last one.
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(0, 32) });
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(288, 32) });
      expect(fw.tasksFinished).to.equal(2);
      expect(fw.ledger.acc.termsComputed).to.equal(64);
      expect(fw.ledger.acc.prefixEnd).to.equal(32);
      expect(fw.ledger.queuedTerms, 'both left the queue').to.equal(256);
      expect(lines('warn').filter((l) => /unusable/.test(l))).to.deep.equal([]);
      // The same again is a duplicate: not counted twice.
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(0, 32) });
      expect(fw.tasksFinished).to.equal(2);
      fw.ledger.checkInvariant();
    });

    it('a result repeated after a lost acknowledgement is counted once and does not end its task', async () => {
      const fw = await open(32 * 20, { targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      const superseded: string[] = [];
      fw.on('superseded', (x: { taskId: string }) => superseded.push(x.taskId));
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(0, 32) });
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(0, 32) });
      expect(fw.tasksFinished).to.equal(1);
      expect(fw.tasksLost).to.equal(0);
      expect(superseded).to.deep.equal([]);
      expect(fw.ledger.task(t.taskId)!.parts).to.have.length(9);
      expect(lines('warn')).to.deep.equal([]);
    });

    it('a final result that is unusable requeues the task\'s ranges without asking to kill it', async () => {
      const fw = await open(320);
      const [t] = fw.plan('a1', 1);
      const superseded: string[] = [];
      fw.on('superseded', (x: { taskId: string }) => superseded.push(x.taskId));
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: Buffer.from('not a result') });
      expect(superseded, 'the task has ended already').to.deep.equal([]);
      expect(fw.tasksLost).to.equal(1);
      expect(fw.tasksFinished).to.equal(0);
      expect(fw.ledger.queuedTerms).to.equal(320);
      expect(fw.ledger.nextRetryIn()).to.equal(1);
      expect(lines('warn')[0]).to.match(new RegExp(`^task ${esc(t.taskId)} reported an unusable result \\(result is not a pimesos\\.RangeResult: .*\\); its ranges go back to the queue$`));
      expect(lines('warn')[1]).to.equal(`task ${t.taskId} failed; range 0+320 requeued, attempt 1`);
      // A finish without any data is as unusable.
      clock.advance(1000);
      const [u] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: u.taskId, state: 'TASK_FINISHED', agentId: 'a1' });
      expect(fw.tasksLost).to.equal(2);
      expect(lines('warn')).to.include(`task ${u.taskId} reported an unusable result (finished task carries no result data); its ranges go back to the queue`);
    });

    it('refuses a result at another precision or by another kernel, even for a range it no longer tracks', async () => {
      const fw = await open(320);
      const [t] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_LOST' });
      const other = scaleFor(30);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320, {}, other) });
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320, { kernel: 'pairs' }) });
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320, { bits: SCALE.bits + 1 }) });
      expect(lines('warn').slice(1)).to.deep.equal([
        `task ${t.taskId} reported an unusable result (result at ${other.bits} bits/grouped does not match this run); its ranges go back to the queue`,
        `task ${t.taskId} reported an unusable result (result at ${SCALE.bits} bits/pairs does not match this run); its ranges go back to the queue`,
        `task ${t.taskId} reported an unusable result (result at ${SCALE.bits + 1} bits/grouped does not match this run); its ranges go back to the queue`,
      ]);
      expect(fw.tasksFinished).to.equal(0);
      expect(fw.ledger.acc.termsComputed).to.equal(0);
      expect(fw.tasksLost, 'a task no longer in flight is not lost again').to.equal(1);
      expect(fw.ledger.queuedTerms).to.equal(320);
    });

    it('checks a result against the range it answers: another bound or another range is refused, not merged', async () => {
      const fw = await open(32 * 20);
      const [t, u] = fw.plan('a1', 2);
      const good = sumRange({ start: 0, count: 320 }, SCALE);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1',
        data: encodeResult({ ...good, errUnits: good.errUnits + 1n, rangeId: '0+320', computeSeconds: 1 }) });
      await fw.onUpdate({ taskId: u.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(320, 320, { rangeId: '0+320' }) });
      expect(lines('warn')).to.deep.equal([
        `task ${t.taskId} reported an unusable result (result error bound ${good.errUnits + 1n} is not the kernel's bound for [0, 320)); its ranges go back to the queue`,
        `task ${t.taskId} failed; range 0+320 requeued, attempt 1`,
        `task ${u.taskId} reported an unusable result (result for 0+320 does not answer task range 320+320); its ranges go back to the queue`,
        `task ${u.taskId} failed; range 320+320 requeued, attempt 1`,
      ]);
      expect(fw.tasksFinished).to.equal(0);
      expect(fw.ledger.acc.termsComputed).to.equal(0);
    });

    it('a running task\'s result that starts where one of its ranges does but ends elsewhere answers none of them', async () => {
      const fw = await open(32 * 40, { targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(0, 64) });
      expect(lines('warn')[0]).to.equal(`task ${t.taskId} reported an unusable result (result for 0+64 answers no range of this task); its ranges go back to the queue`);
      expect(fw.tasksFinished).to.equal(0);
      expect(fw.ledger.queuedTerms).to.equal(320);
    });

    it('a final update that carries another task\'s range counts it, and that task is superseded', async () => {
      const fw = await open(32 * 20);
      const [t, u] = fw.plan('a1', 2);
      const superseded: string[] = [];
      fw.on('superseded', (x: { taskId: string }) => superseded.push(x.taskId));
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(320, 320) });
      expect(fw.tasksFinished).to.equal(1);
      expect(fw.ledger.acc.termsComputed).to.equal(320);
      expect(superseded).to.deep.equal([u.taskId]);
      // t itself still owed its own range: back to the queue at once.
      expect(lines('warn')).to.deep.equal([`task ${t.taskId} finished without 1 of its ranges; they go back to the queue`]);
      expect(fw.ledger.queuedTerms).to.equal(320);
      expect(fw.tasksLost).to.equal(0);
      fw.ledger.checkInvariant();
    });

    it('logs a result that disagrees with the one counted as an error, and ignores it; a plain repeat is no error', async () => {
      const fw = await open(320);
      const [t] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320) });
      const value = fw.ledger.acc.prefixValue;
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320) });
      expect(lines('error')).to.deep.equal([]);
      const s = sumRange({ start: 0, count: 320 }, SCALE);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: encodeResult({ ...s, value: s.value + 1n, rangeId: '0+320', computeSeconds: 1 }) });
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', data: encodeResult({ ...s, value: s.value + 2n, rangeId: '0+320', computeSeconds: 1 }) });
      expect(lines('error')).to.deep.equal([
        `task ${t.taskId} on agent a1 returned a result for 0+320 that disagrees with the one already counted; ignored`,
        `task ${t.taskId} on agent ? returned a result for 0+320 that disagrees with the one already counted; ignored`,
      ]);
      expect(fw.ledger.acc.prefixValue).to.equal(value);
      expect(fw.tasksFinished).to.equal(1);
    });

    it('a task that finishes owing ranges gives them back at the attempt they were on', async () => {
      const fw = await open(32 * 10, { targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 32) });
      expect(fw.tasksLost, 'not a failure').to.equal(0);
      const [again] = fw.plan('a1', 1);
      expect(again.taskId).to.match(/^pi\.32\.\d+\.0\./);
    });

    it('counts each merged range once, adds up the compute time its executors measured, and measures the agent', async () => {
      const fw = await open(32 * 40, { targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(0, 32, { computeSeconds: 0.5 }) });
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(32, 32, { computeSeconds: 0.25 }) });
      expect(fw.tasksFinished).to.equal(2);
      expect(fw.computeSeconds).to.equal(0.75);
      expect(fw.planner.rate('a1')).to.be.greaterThan(0);
    });

    it('a result with no compute time, or a negative one (a clock step), adds none and measures nothing', async () => {
      const fw = await open(32 * 40, { targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(0, 32, { computeSeconds: -2 }) });
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', agentId: 'a1', data: resultOf(32, 32, { computeSeconds: 0 }) });
      expect(fw.tasksFinished).to.equal(2);
      expect(fw.computeSeconds).to.equal(0);
      expect(fw.planner.rate('a1')).to.equal(undefined);
      // Nor does a result that names no agent: a new agent's first task keeps the default size.
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_RUNNING', data: resultOf(64, 32, { computeSeconds: 100 }) });
      expect(fw.computeSeconds).to.equal(100);
      expect(fw.planner.termsFor('a2', 320, 1)).to.equal(320);
    });

    it('announces each new certified digit once, as a notice and an event, and completion once', async () => {
      const fw = await open(640);
      const digits: Certified[] = [];
      let completes = 0;
      fw.on('digit', (c: Certified) => digits.push(c));
      fw.on('complete', () => completes++);
      const [a, b] = fw.plan('a1', 2);
      expect([a.task.start, b.task.start]).to.deep.equal([0, 320]);
      clock.advance(1000);
      // The second range first: ahead of the prefix, it certifies nothing.
      await fw.onUpdate({ taskId: b.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(320, 320) });
      expect(digits).to.deep.equal([]);
      expect(completes).to.equal(0);
      expect(lines('notice')).to.deep.equal([]);
      await fw.onUpdate({ taskId: a.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320) });
      expect(digits.map((c) => [c.certified, c.decimals, c.terms])).to.deep.equal([['3.14159', 5, 640]]);
      expect(lines('notice')).to.deep.equal(['new certified digit: 3.14159 (5 decimals from 640 terms)']);
      expect(completes).to.equal(1);
      expect(fw.complete).to.equal(true);
      expect(fw.nextDigitEta(), 'nothing comes after the last digit').to.equal(null);
    });

    it('estimates the next digit before the first is certified', async () => {
      const fw = await open(32 * 100);
      const [, b] = fw.plan('a1', 2);
      clock.advance(10_000);
      await fw.onUpdate({ taskId: b.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(320, 320) });
      expect(fw.certified().decimals).to.equal(-1);
      // 320 terms in 10 s; the first decimal is aimed at 10 terms of the prefix.
      expect(fw.nextDigitEta()).to.be.closeTo(10 / 32, 1e-12);
    });
  });

  describe('throughput behind the ETA', () => {
    it('keeps a sample exactly one window old: the rate runs over the whole window', () => {
      let t = 0;
      const tp = new Throughput(() => t, 30_000);
      tp.record(0);
      t = 10_000; tp.record(100);
      t = 40_000; tp.record(1000); // the sample at 10 s is 30 s old: still in the window, so is the one before it
      expect(tp.rate()).to.equal(1000 / 40);
    });
  });

  describe('planning', () => {
    it('without targetRangeSeconds a task is one range, even a retried range shorter than a task', async () => {
      const fw = await open(32 * 100, { targetTaskSeconds: 10, defaultRate: 32 });
      // A range of one block taken and given back (an offer declined): queued, it comes first.
      fw.ledger.untake(fw.ledger.take(32)!);
      const [retry] = fw.plan('a1', 1);
      expect(taskRanges(retry.task)).to.deep.equal([{ start: 0, count: 32 }]);
      const [next] = fw.plan('a1', 1);
      expect(taskRanges(next.task)).to.deep.equal([{ start: 32, count: 320 }]);
    });

    it('puts at most 256 ranges in one task', async () => {
      const fw = await open(32 * 1000, { targetTaskSeconds: 1000, targetRangeSeconds: 0.1 });
      const [t] = fw.plan('a1', 1);
      expect(taskRanges(t.task)).to.have.length(MAX_RANGES_PER_TASK);
      expect(MAX_RANGES_PER_TASK).to.equal(256);
      expect(t.task.more![MAX_RANGES_PER_TASK - 2]).to.deep.equal({ start: 255 * 32, count: 32 });
    });

    it('stops filling a task once its planned seconds reach the target', async () => {
      // 1000 × 0.999 is 999 exactly: one range of 999 s fills a task of 1000 s.
      const fw = await open(32 * 10_000, { targetTaskSeconds: 1000, targetRangeSeconds: 999, defaultRate: 32 });
      const [t] = fw.plan('a1', 1);
      expect(taskRanges(t.task)).to.deep.equal([{ start: 0, count: 32 * 999 }]);
    });

    it('cuts the last range of a task to what maxTaskTerms leaves', async () => {
      // Ranges of 64 terms, tasks of at most 96: one of 64, then one of 32.
      const fw = await open(32 * 100, { targetRangeSeconds: 0.2, maxTaskTerms: 96 });
      const [t, u] = fw.plan('a1', 2);
      expect(taskRanges(t.task).map((r) => r.count)).to.deep.equal([64, 32]);
      expect(taskRanges(u.task).map((r) => r.count)).to.deep.equal([64, 32]);
      expect(t.taskId).to.match(/^pi\.0\.96\.0\.[0-9a-z]+[0-9a-f]{6}$/);
      expect(u.taskId).to.match(/^pi\.64\.96\.0\.[0-9a-z]+[0-9a-f]{6}$/);
    });

    it('sizes the first task of an unmeasured agent from a default rate for the precision', async () => {
      const first = async (digits: number): Promise<number> => {
        const fw = await PiFramework.open({ scale: scaleFor(digits), stateDir: path.join(dir, String(digits)), logger, targetTaskSeconds: 1, now: clock.now });
        return fw.plan('a1', 1)[0].task.count;
      };
      // Groups: 1 G terms/s up to 100 digits, falling as digits^1.5 beyond; pairs: 0.4 G/s over the digits.
      expect(await first(20)).to.be.closeTo(1e9, GROUP_TERMS);
      expect(await first(400)).to.be.closeTo(1e9 / 8, GROUP_TERMS);
      expect(await first(3000)).to.be.closeTo(4e8 / 3000, 32);
    });
  });

  describe('updates and checkpoints', () => {
    it('an update of a task still starting or running writes no checkpoint', async () => {
      const fw = await open(320);
      const [t] = fw.plan('a1', 1);
      for (const state of ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING']) await fw.onUpdate({ taskId: t.taskId, state, agentId: 'a1' });
      await fs.access(PiFramework.stateFile(dir)).then(() => expect.fail('checkpoint written'), () => undefined);
      expect(fw.ledger.task(t.taskId)).to.not.equal(undefined);
      await fw.onUpdate({ taskId: t.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320) });
      const disk = JSON.parse(await fs.readFile(PiFramework.stateFile(dir), 'utf8'));
      expect(disk.ledger.prefixEnd).to.equal(320);
    });

    it('resumes from its checkpoint and says how far the run got', async () => {
      const fw = await open(32 * 100);
      fw.frameworkId = 'fw-7';
      const [a] = fw.plan('a1', 3);
      await fw.onUpdate({ taskId: a.taskId, state: 'TASK_FINISHED', agentId: 'a1', data: resultOf(0, 320) });
      const again = await open(32 * 100);
      expect(again.frameworkId).to.equal('fw-7');
      expect(again.ledger.inFlightCount).to.equal(2);
      expect(again.certified().decimals).to.equal(4);
      expect(lines('info')).to.deep.equal(['resumed from checkpoint: 320 terms finished in order, 320 in all, 2 tasks were in flight']);
    });
  });
});
