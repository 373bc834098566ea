import { expect } from 'chai';
import { decodeResult, decodeTask, encodeResult, encodeTask, bigintToBytes, bytesToBigint } from '../../src/executor/task-codec';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';

describe('task payload and result codec', () => {
  const task = { rangeId: '640+320', start: 640, count: 320, digits: 20 };

  it('round-trips a task and its result', () => {
    expect(decodeTask(encodeTask(task))).to.deep.equal(task);
    const sum = sumRange(task, scaleFor(20));
    const r = decodeResult(encodeResult({ ...sum, rangeId: task.rangeId, computeSeconds: 0.5 }), { task });
    expect(r.value).to.equal(sum.value);
    expect(r.errUnits).to.equal(sum.errUnits);
    expect(r.computeSeconds).to.equal(0.5);
    for (const x of [0n, 1n, -1n, 255n, -(2n ** 200n) + 7n]) expect(bytesToBigint(bigintToBytes(x), 'x')).to.equal(x);
  });

  it('says what is wrong with a malformed task', () => {
    expect(() => decodeTask(undefined)).to.throw(/no payload/);
    expect(() => decodeTask(Buffer.from('garbage!'))).to.throw(/not a pimesos.RangeTask/);
    expect(() => decodeTask(encodeTask({ ...task, start: 641, rangeId: '641+320' }))).to.throw(/aligned/);
    expect(() => decodeTask(encodeTask({ ...task, rangeId: 'x' }))).to.throw(/range_id "x" does not match/);
    expect(() => decodeTask(encodeTask({ ...task, digits: 3 }))).to.throw(/digits 3/);
  });

  it('refuses a result that does not answer the task', () => {
    const sum = sumRange(task, scaleFor(20));
    const good = { ...sum, rangeId: task.rangeId, computeSeconds: 1 };
    expect(() => decodeResult(encodeResult({ ...good, start: 0, rangeId: '0+320' }), { task })).to.throw(/does not answer/);
    expect(() => decodeResult(encodeResult({ ...good, bits: 90 }), { task })).to.throw(new RegExp(`expected ${scaleFor(20).bits} bits`));
    expect(() => decodeResult(encodeResult({ ...good, errUnits: 1n }), { task })).to.throw(/error bound/);
    expect(() => decodeResult(Buffer.alloc(0), { task })).to.throw(/no result/);
  });
});
