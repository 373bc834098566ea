import { expect } from 'chai';
import { Ledger, LedgerMismatchError } from '../../src/framework/ledger';
import { scaleFor } from '../../src/pi/precision';
import { checkRange, GROUP_TERMS, GROUPED_FROM } from '../../src/pi/range';
import { sumRange } from '../../src/pi/range-sum';
import { seededRandom } from '../support/random';

const scale = scaleFor(20);

describe('ledger', () => {
  it('hands out aligned fresh ranges up to the limit, then nothing', () => {
    const l = new Ledger(scale, 32 * 10);
    const a = l.take(100)!;
    expect(a).to.deep.equal({ start: 0, count: 96, attempt: 0 });
    const b = l.take(1000)!;
    expect(b).to.deep.equal({ start: 96, count: 224, attempt: 0 });
    expect(l.take(64)).to.equal(undefined);
  });

  it('puts a failed range back with backoff, splits it to fit, and counts it once', () => {
    let now = 1000;
    const l = new Ledger(scale, 3200, () => now);
    const r = l.take(3200)!;
    l.launch('t1', [r], 'agent-a');
    expect(l.fail('t1', (attempt) => attempt * 5000)!.taskId).to.equal('t1');
    expect(l.take(640)).to.equal(undefined); // backing off
    expect(l.nextRetryIn()).to.equal(5);
    now += 5000;
    const head = l.take(640)!;
    expect(head).to.deep.equal({ start: 0, count: 640, attempt: 1 });
    l.launch('t2', [head], 'agent-b');
    const tail = l.take(10_000)!;
    expect(tail).to.deep.equal({ start: 640, count: 2560, attempt: 1 });
    l.launch('t3', [tail], 'agent-b');
    l.checkInvariant();
    expect(l.finish('t3', sumRange(tail, scale)).outcome).to.equal('merged');
    expect(l.finish('t2', sumRange(head, scale)).outcome).to.equal('merged');
    expect(l.finish('t2', sumRange(head, scale)).outcome).to.equal('duplicate');
    expect(l.complete).to.equal(true);
    expect(l.acc.prefixValue).to.equal(sumRange({ start: 0, count: 3200 }, scale).value);
    l.checkInvariant();
  });

  it('merges the late result of a task presumed lost and retires its re-run', () => {
    const l = new Ledger(scale, 640);
    const r = l.take(640)!;
    l.launch('orig', [r], 'a');
    l.fail('orig', () => 0);
    const again = l.take(640)!;
    l.launch('rerun', [again], 'b');
    const { outcome, superseded } = l.finish('orig', sumRange(r, scale));
    expect(outcome).to.equal('merged');
    expect(superseded.map((t) => t.taskId)).to.deep.equal(['rerun']);
    expect(l.finish('rerun', sumRange(again, scale)).outcome).to.equal('duplicate');
    expect(l.complete).to.equal(true);
    l.checkInvariant();
  });

  it('keeps every term in exactly one place through random launches, failures, duplicates and restarts', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rnd = seededRandom(seed);
      const limit = 32 * 400;
      let l = new Ledger(scale, limit, () => 0);
      const live: { id: string; start: number; count: number }[] = [];
      const finished: { id: string; start: number; count: number }[] = [];
      let n = 0;
      for (let step = 0; step < 2000 && !l.complete; step++) {
        const op = rnd();
        if (op < 0.35) {
          const r = l.take(32 * (1 + Math.floor(rnd() * 30)));
          if (r) { const id = `t${n++}`; l.launch(id, [r], 'a'); live.push({ id, ...r }); }
        } else if (op < 0.65 && live.length) {
          const t = live.splice(Math.floor(rnd() * live.length), 1)[0];
          l.finish(t.id, sumRange(t, scale));
          finished.push(t);
        } else if (op < 0.8 && live.length) {
          const t = live.splice(Math.floor(rnd() * live.length), 1)[0];
          l.fail(t.id, () => 0);
        } else if (op < 0.9 && finished.length) {
          const t = finished[Math.floor(rnd() * finished.length)];
          expect(['duplicate', 'overlap']).to.include(l.finish(t.id, sumRange(t, scale)).outcome);
        } else {
          l = Ledger.restore(JSON.parse(JSON.stringify(l.snapshot())), scale, limit, () => 0);
        }
        l.checkInvariant();
      }
      // Finish whatever is left, then the sum must be exactly the whole range's.
      for (const t of live) l.finish(t.id, sumRange(t, scale));
      for (let r = l.take(limit); r; r = l.take(limit)) { l.launch('x', [r], 'a'); l.finish('x', sumRange(r, scale)); }
      expect(l.complete, `seed ${seed}`).to.equal(true);
      expect(l.acc.prefixValue, `seed ${seed}`).to.equal(sumRange({ start: 0, count: limit }, scale).value);
    }
  });

  it('cuts ranges on boundaries: 32 terms below GROUPED_FROM, whole groups from there, the limit rounded up', () => {
    const l = new Ledger(scale, GROUPED_FROM + 10 * GROUP_TERMS + 5);
    expect(l.limit).to.equal(GROUPED_FROM + 11 * GROUP_TERMS);
    expect(l.take(GROUPED_FROM - 96)).to.deep.equal({ start: 0, count: GROUPED_FROM - 96, attempt: 0 });
    expect(l.take(1000)).to.deep.equal({ start: GROUPED_FROM - 96, count: 96, attempt: 0 }); // stops at the groups
    expect(l.take(1000)).to.deep.equal({ start: GROUPED_FROM, count: GROUP_TERMS, attempt: 0 }); // at least a group
    expect(l.take(5 * GROUP_TERMS + 7)).to.deep.equal({ start: GROUPED_FROM + GROUP_TERMS, count: 5 * GROUP_TERMS, attempt: 0 });
    const last = l.take(2 ** 40)!;
    expect(last.start + last.count).to.equal(l.limit);
    expect(() => checkRange(last)).to.not.throw();
    expect(l.take(32)).to.equal(undefined);
  });

  it('refuses a checkpoint of another precision, naming both', () => {
    const snap = new Ledger(scale).snapshot();
    expect(() => Ledger.restore(snap, scaleFor(30))).to.throw(LedgerMismatchError, /precision 20 .* 30/);
  });

  it('refuses a checkpoint of an older kernel at the same precision, saying so', () => {
    // A state file from before the groups: same digits, another kernel and scale.
    const snap = { ...new Ledger(scale).snapshot(), kernel: 'dd103', bits: 103 };
    expect(() => Ledger.restore(snap, scale)).to.throw(LedgerMismatchError, /another kernel \(dd103, 103 bits/);
  });

  it('tracks a task of several ranges range by range: a failure gives back only what it still owed', () => {
    let now = 0;
    const l = new Ledger(scale, 32 * 30, () => now);
    const parts = [l.take(320)!, l.take(320)!, l.take(320)!];
    l.launch('lease', parts, 'a');
    expect(l.finish('lease', sumRange(parts[0], scale)).outcome).to.equal('merged');
    expect(l.task('lease')!.parts.map((p) => p.start)).to.deep.equal([320, 640]);
    l.checkInvariant();
    l.fail('lease', (a) => a * 1000);
    expect(l.task('lease')).to.equal(undefined);
    expect(l.queuedTerms).to.equal(640);
    now += 1000;
    expect(l.take(10_000)).to.deep.equal({ start: 320, count: 320, attempt: 1 });
  });

  it('retires the ranges of a re-run that a late result covers, and gives back what it covered only in part', () => {
    const l = new Ledger(scale, 32 * 40);
    const a = l.take(640)!; // [0, 640)
    l.launch('orig', [a], 'a');
    l.fail('orig', () => 0);
    // The re-run cuts the same terms differently: [0, 320) and [320, 960) with fresh terms.
    const b1 = l.take(320)!;
    const b2 = l.take(640)!;
    expect([b1.start, b1.count, b2.start, b2.count]).to.deep.equal([0, 320, 320, 320]);
    const b3 = l.take(320)!;
    l.launch('rerun', [b1, b2, b3], 'b');
    // The original's late result: b1 and b2 are done, b3 is still owed.
    const { outcome, superseded } = l.finish('orig', sumRange(a, scale));
    expect(outcome).to.equal('merged');
    expect(superseded).to.deep.equal([]);
    expect(l.task('rerun')!.parts.map((p) => [p.start, p.count])).to.deep.equal([[640, 320]]);
    l.checkInvariant();
    expect(l.finish('rerun', sumRange(b1, scale)).outcome).to.equal('duplicate');
    expect(l.finish('rerun', sumRange(b3, scale)).outcome).to.equal('merged');
    expect(l.task('rerun')).to.equal(undefined);
    l.checkInvariant();
  });

  it('gives back the missing part of an own range found done in part (never loses its terms)', () => {
    const l = new Ledger(scale, 32 * 20);
    const big = l.take(640)!;
    l.launch('t', [big], 'a');
    // Half of it was counted meanwhile (a peer's range of the same terms).
    expect(l.acc.add(sumRange({ start: 0, count: 320 }, scale))).to.equal('added');
    expect(l.finish('t', sumRange(big, scale)).outcome).to.equal('overlap');
    expect(l.take(10_000)).to.deep.equal({ start: 320, count: 320, attempt: 0 });
  });

  it('restores a checkpoint written before tasks had several ranges', () => {
    const l = new Ledger(scale, 32 * 20);
    const r = l.take(320)!;
    l.launch('old', [r], 'a');
    const snap = l.snapshot() as unknown as { inFlight: Record<string, unknown>[] };
    snap.inFlight = [{ taskId: 'old', range: { start: 0, count: 320 }, agentId: 'a', attempt: 3, launchedAt: 5 }];
    const back = Ledger.restore(snap as never, scale, 32 * 20);
    expect(back.task('old')!.parts).to.deep.equal([{ start: 0, count: 320, attempt: 3 }]);
    back.checkInvariant();
  });

  it('keeps every term in exactly one place with tasks of several ranges, reported one by one, through failures and restarts', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rnd = seededRandom(1000 + seed);
      const limit = 32 * 400;
      let l = new Ledger(scale, limit, () => 0);
      const owed = new Map<string, { start: number; count: number }[]>();
      const reported: { id: string; start: number; count: number }[] = [];
      let n = 0;
      for (let step = 0; step < 2000 && !l.complete; step++) {
        const op = rnd();
        const ids = [...owed.keys()];
        if (op < 0.3) {
          const parts = [];
          for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
            const r = l.take(32 * (1 + Math.floor(rnd() * 20)));
            if (r) parts.push(r);
          }
          if (parts.length) { const id = `t${n++}`; l.launch(id, parts, 'a'); owed.set(id, parts.map((p) => ({ start: p.start, count: p.count }))); }
        } else if (op < 0.65 && ids.length) {
          // The executor reports its ranges in order.
          const id = ids[Math.floor(rnd() * ids.length)];
          const [next, ...rest] = owed.get(id)!;
          l.finish(id, sumRange(next, scale));
          reported.push({ id, ...next });
          if (rest.length) owed.set(id, rest); else owed.delete(id);
        } else if (op < 0.8 && ids.length) {
          const id = ids[Math.floor(rnd() * ids.length)];
          owed.delete(id);
          l.fail(id, () => 0);
        } else if (op < 0.9 && reported.length) {
          const t = reported[Math.floor(rnd() * reported.length)];
          expect(['duplicate', 'overlap', 'merged']).to.include(l.finish(t.id, sumRange(t, scale)).outcome);
        } else {
          l = Ledger.restore(JSON.parse(JSON.stringify(l.snapshot())), scale, limit, () => 0);
        }
        l.checkInvariant();
      }
      for (const [id, parts] of owed) for (const p of parts) l.finish(id, sumRange(p, scale));
      for (let r = l.take(limit); r; r = l.take(limit)) { l.launch('x', [r], 'a'); l.finish('x', sumRange(r, scale)); }
      expect(l.complete, `seed ${seed}`).to.equal(true);
      expect(l.acc.prefixValue, `seed ${seed}`).to.equal(sumRange({ start: 0, count: limit }, scale).value);
    }
  });
});
