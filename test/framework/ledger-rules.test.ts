// The ledger's rules at their edges: exactly which pieces go back to the queue when a result covers
// part of a range, retries handed out lowest terms first, queued terms a late result made
// redundant, the soonest retry, and checkpoints refused when they do not tile [0, frontier) or do
// not match this build's kernel. The queue is read from snapshot(), as the checkpoint holds it.
import { expect } from 'chai';
import { Ledger, LedgerMismatchError, LedgerState } from '../../src/framework/ledger';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';

const scale = scaleFor(20);
const queue = (l: Ledger): string[] => l.snapshot().queue.map((q) => `${q.start}+${q.count}@${q.attempt}`);

describe('ledger rules', () => {
  describe('a result that covers part of a range in flight', () => {
    /** x0 = 0+32 in flight (the prefix stays at 0), 32+32 and 320+320 finished, T owes 64+256 at attempt 2. */
    function withAheadRanges(): { l: Ledger; now: () => number } {
      const now = (): number => 5000;
      const l = new Ledger(scale, 32 * 20, now);
      l.launch('x0', [l.take(32)!], 'a');
      const x1 = l.take(32)!;
      l.launch('x1', [x1], 'a');
      l.finish('x1', sumRange(x1, scale));
      const big = l.take(256)!;
      expect(big).to.deep.equal({ start: 64, count: 256, attempt: 0 });
      l.launch('T', [{ ...big, attempt: 2 }], 'b');
      const y = l.take(320)!;
      l.launch('y', [y], 'a');
      l.finish('y', sumRange(y, scale));
      l.checkInvariant();
      return { l, now };
    }

    it('gives back the pieces before and after it, at their attempt and with no wait, and retires the task', () => {
      const { l } = withAheadRanges();
      const { outcome, superseded } = l.finish('late', sumRange({ start: 128, count: 64 }, scale));
      expect(outcome).to.equal('merged');
      expect(superseded.map((t) => t.taskId)).to.deep.equal(['T']);
      expect(queue(l)).to.deep.equal(['64+64@2', '192+128@2']);
      expect(l.snapshot().queue.every((q) => q.notBefore === 5000)).to.equal(true);
      expect(l.task('x0')?.parts).to.deep.equal([{ start: 0, count: 32, attempt: 0 }]); // a disjoint task is left alone
      l.checkInvariant();
      expect(l.take(10_000)).to.deep.equal({ start: 64, count: 64, attempt: 2 });
    });

    it('gives back only the tail when it covers the head, only the head when it covers the tail, nothing when it covers all', () => {
      let { l } = withAheadRanges();
      l.finish('late', sumRange({ start: 64, count: 64 }, scale));
      expect(queue(l)).to.deep.equal(['128+192@2']);
      l.checkInvariant();

      ({ l } = withAheadRanges());
      l.finish('late', sumRange({ start: 256, count: 64 }, scale));
      expect(queue(l)).to.deep.equal(['64+192@2']);
      l.checkInvariant();

      ({ l } = withAheadRanges());
      const { superseded } = l.finish('late', sumRange({ start: 64, count: 256 }, scale));
      expect(superseded.map((t) => t.taskId)).to.deep.equal(['T']);
      expect(queue(l)).to.deep.equal([]);
      expect(l.take(10_000)).to.equal(undefined); // nothing left to hand out: no empty range
      l.checkInvariant();
    });

    it('leaves a task whose range only touches it (ends where it starts) in flight', () => {
      const l = new Ledger(scale, 32 * 10);
      const a = l.take(32)!;
      const b = l.take(32)!;
      l.launch('a', [a], 'x');
      l.launch('b', [b], 'x');
      const { superseded } = l.finish('b', sumRange(b, scale));
      expect(superseded).to.deep.equal([]);
      expect(l.task('a')?.parts).to.deep.equal([{ start: 0, count: 32, attempt: 0 }]);
      expect(queue(l)).to.deep.equal([]);
    });

    it('does not retire the task that reported it: finishing its last range ends it, killing nothing', () => {
      const l = new Ledger(scale, 32 * 10);
      const r = l.take(320)!;
      l.launch('t', [r], 'a');
      const { outcome, superseded } = l.finish('t', sumRange(r, scale));
      expect(outcome).to.equal('merged');
      expect(superseded).to.deep.equal([]);
      expect(l.inFlightCount).to.equal(0);
      expect(l.complete).to.equal(true);
    });

    it('counts a result of its own task that is not one of its ranges as a peer\'s: the range it cuts into goes back whole minus it', () => {
      const l = new Ledger(scale, 32 * 10);
      const r = l.take(320)!;
      l.launch('t', [r], 'a');
      // Same start, half the terms: not the range the task owes.
      const { outcome, superseded } = l.finish('t', sumRange({ start: 0, count: 160 }, scale));
      expect(outcome).to.equal('merged');
      expect(superseded.map((t) => t.taskId)).to.deep.equal(['t']);
      expect(queue(l)).to.deep.equal(['160+160@0']);
      l.checkInvariant();
    });

    it('gives back only the missing pieces of an own range found done in several places', () => {
      const l = new Ledger(scale, 32 * 20);
      const first = l.take(32)!;
      l.launch('first', [first], 'a'); // keeps the prefix at 0
      const big = l.take(608)!;
      l.launch('t', [{ ...big, attempt: 1 }], 'a');
      // Counted meanwhile by peers: one range touching its start, one inside.
      expect(l.acc.add(sumRange({ start: 32, count: 32 }, scale))).to.equal('added');
      expect(l.acc.add(sumRange({ start: 128, count: 64 }, scale))).to.equal('added');
      expect(l.finish('t', sumRange(big, scale)).outcome).to.equal('overlap');
      expect(queue(l)).to.deep.equal(['64+64@1', '192+448@1']);
      expect(l.task('t')).to.equal(undefined);
      l.checkInvariant();
      expect(l.isFinished({ start: 32, count: 32 })).to.equal(true);
      expect(l.isFinished({ start: 128, count: 64 })).to.equal(true);
      expect(l.isFinished({ start: 32, count: 64 })).to.equal(false);
      expect(l.isFinished({ start: 0, count: 32 })).to.equal(false);
    });
  });

  it('takes terms out of the queue when a late result counts them, keeping the rest and its backoff', () => {
    let now = 0;
    const l = new Ledger(scale, 32 * 10, () => now);
    const r = l.take(320)!;
    l.launch('t', [r], 'a');
    l.fail('t', (attempt) => attempt * 1000);
    expect(queue(l)).to.deep.equal(['0+320@1']);
    // A result for the middle of it (a task of an earlier run presumed lost).
    expect(l.finish('ghost', sumRange({ start: 96, count: 64 }, scale)).outcome).to.equal('merged');
    expect(queue(l)).to.deep.equal(['0+96@1', '160+160@1']);
    expect(l.snapshot().queue.map((q) => q.notBefore)).to.deep.equal([1000, 1000]);
    expect(l.queuedTerms).to.equal(256);
    l.checkInvariant();
    // The whole queued range counted: nothing of it is handed out again.
    expect(l.finish('ghost', sumRange({ start: 160, count: 160 }, scale)).outcome).to.equal('merged');
    expect(queue(l)).to.deep.equal(['0+96@1']);
    now = 1000;
    expect(l.take(10_000)).to.deep.equal({ start: 0, count: 96, attempt: 1 });
    expect(l.take(10_000)).to.equal(undefined);
  });

  it('keeps the head and the tail of a queued range a late result cuts out of its middle', () => {
    const l = new Ledger(scale, 32 * 10, () => 0);
    l.launch('a', [l.take(64)!], 'x');
    const r = l.take(256)!;
    l.launch('t', [r], 'x');
    l.fail('t', () => 0);
    expect(queue(l)).to.deep.equal(['64+256@1']);
    l.finish('ghost', sumRange({ start: 128, count: 64 }, scale));
    expect(queue(l)).to.deep.equal(['64+64@1', '192+128@1']);
    l.checkInvariant();
  });

  it('hands out retries lowest terms first, whatever order they failed in', () => {
    const l = new Ledger(scale, 32 * 30);
    const rs = [l.take(320)!, l.take(320)!, l.take(320)!];
    rs.forEach((r, i) => l.launch(`t${i}`, [r], 'a'));
    l.fail('t2', () => 0);
    l.fail('t0', () => 0);
    l.fail('t1', () => 0);
    expect(queue(l)).to.deep.equal(['0+320@1', '320+320@1', '640+320@1']);
    expect([l.take(320)!.start, l.take(320)!.start, l.take(320)!.start]).to.deep.equal([0, 320, 640]);
  });

  it('gives a range taken but not launched back at once, at its attempt', () => {
    let now = 0;
    const l = new Ledger(scale, 32 * 10, () => now);
    l.launch('t', [l.take(320)!], 'a');
    l.fail('t', () => 4000);
    now = 4000;
    const r = l.take(320)!;
    expect(r).to.deep.equal({ start: 0, count: 320, attempt: 1 });
    l.untake(r);
    expect(l.drained).to.equal(false);
    expect(l.take(320)).to.deep.equal({ start: 0, count: 320, attempt: 1 });
  });

  it('tells the time to the soonest retry', () => {
    let now = 0;
    const l = new Ledger(scale, 32 * 20, () => now);
    l.launch('a', [l.take(320)!], 'x');
    l.launch('b', [l.take(320)!], 'x');
    l.fail('a', () => 8000);
    l.fail('b', () => 2000);
    expect(l.nextRetryIn()).to.equal(2);
    now = 2000;
    expect(l.nextRetryIn()).to.equal(6);
  });

  describe('restoring a checkpoint', () => {
    function state(): LedgerState {
      const l = new Ledger(scale, 32 * 20, () => 0);
      const a = l.take(64)!;
      l.launch('a', [a], 'x');
      l.finish('a', sumRange(a, scale));
      l.launch('b', [l.take(64)!], 'x');
      l.fail('b', () => 60_000);
      l.launch('c', [l.take(64)!], 'x');
      return l.snapshot(); // finished [0, 64), queued [64, 128), in flight [128, 192), frontier 192
    }

    it('takes a checkpoint that tiles [0, frontier)', () => {
      const s = state();
      expect(s.queue).to.have.length(1);
      expect(Ledger.restore(s, scale, 32 * 20).snapshot()).to.deep.equal(s);
    });

    it('refuses one with a gap, naming the first missing term', () => {
      const s = state();
      s.queue = [];
      s.inFlight[0].parts = [{ start: 128, count: 64, attempt: 0 }];
      expect(() => Ledger.restore(s, scale, 32 * 20)).to.throw(/^ledger gap at term 64 /);
    });

    it('refuses one with a term in two places, naming it', () => {
      const s = state();
      s.queue = [{ start: 64, count: 96, attempt: 0, notBefore: 0 }];
      expect(() => Ledger.restore(s, scale, 32 * 20)).to.throw(/^ledger overlap at term 128 /);
    });

    it('refuses one whose frontier is not where its ranges end', () => {
      const s = state();
      s.frontier = 320;
      expect(() => Ledger.restore(s, scale, 32 * 20)).to.throw('ledger covers [0, 192) but the frontier is 320');
    });

    it('refuses another checkpoint version', () => {
      const s = { ...state(), version: 2 } as unknown as LedgerState;
      expect(() => Ledger.restore(s, scale)).to.throw(LedgerMismatchError, /checkpoint version 2 is not supported/);
    });

    it('refuses a run of the same precision summed with other bits, or by another kernel, naming what to do', () => {
      for (const s of [{ ...state(), bits: scale.bits + 32 }, { ...state(), kernel: `${scale.kernel}-old` }]) {
        expect(() => Ledger.restore(s, scale)).to.throw(LedgerMismatchError, /another kernel .*Use another --state-dir, or remove it to start over/);
      }
    });

    it('refuses a run of another precision, naming the setting that resumes it', () => {
      expect(() => Ledger.restore(state(), scaleFor(30))).to.throw(LedgerMismatchError, /Start with --precision 20, or use another --state-dir/);
    });
  });
});
